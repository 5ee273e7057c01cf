"""The remote engine: a websocket control API served by `tpm --headless`, and the client the
unchanged UI runs on in `tpm attach`."""
