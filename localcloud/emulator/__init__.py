"""The moto server, our narrow fixes to it, and clients bound to it."""
