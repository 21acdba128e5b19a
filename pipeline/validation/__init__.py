"""Great Expectations suites run at stage boundaries."""
