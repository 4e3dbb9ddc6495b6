"""``mockserver conform``: judge a deployment of the clip API against openapi.yaml and the job contract.

This package speaks HTTP only and imports nothing else of ``mockserver``, so it judges a staging
deployment exactly as it judges the emulator.
"""
