"""The Pulumi program deployed into the emulator: mock provider, resources, the deployment record."""
