"""The outside world behind the Protocols that tpm.engine defines: feeds, brokers and more."""
