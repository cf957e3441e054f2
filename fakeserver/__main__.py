import sys

from fakeserver.cli import main

sys.exit(main())
