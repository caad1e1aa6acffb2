"""The cost model: one order of each saga path, counted by AWS request kind and priced."""
