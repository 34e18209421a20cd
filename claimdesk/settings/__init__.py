"""ClaimDesk settings: `base` reads the environment in one place; `test` adapts it for the suite."""
