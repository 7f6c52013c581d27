"""The Vertex AI tuning backend: credentials, Cloud Storage uploads, loss curves, the wire format, the backend.

Nothing here is imported by the app at start-up; google-genai and google-auth load on first use.
"""
