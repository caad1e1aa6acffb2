"""What the Lambda runtime does for a handler: context, event records, invocation, batch responses."""
