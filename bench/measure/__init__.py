"""The pieces of `bench/speed_targets.py`: servers, load generators and the measurements."""
