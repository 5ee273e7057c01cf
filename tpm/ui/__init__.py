"""The Textual app. It talks to an engine only through tpm.domain.client.EngineClient."""
