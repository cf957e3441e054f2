"""fakeserver: an in-memory, offline fake of PostHog's AI Conversations API."""

__version__ = "0.1.0"
