"""One process per function instance and its Lambda Invoke API."""
