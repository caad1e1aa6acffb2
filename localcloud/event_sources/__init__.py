"""Lambda event source mappings: SQS and DynamoDB streams polled, filtered, invoked."""
