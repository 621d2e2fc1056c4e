"""The neutral layer that training and evaluation share: how a conversation becomes tokens, and how a model
scores two replies to it."""
