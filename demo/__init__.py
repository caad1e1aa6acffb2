"""The main job: deploy the saga to the embedded cloud, play orders through it, print what happened."""
