"""ClaimDesk settings: every value that depends on the environment is read in `base`."""
from .base import *  # noqa: F401,F403
