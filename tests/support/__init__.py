"""What the tests share: fixtures, helpers and worlds. No test module imports another; they import these."""
