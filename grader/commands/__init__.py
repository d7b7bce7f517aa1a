"""One module per `course` subcommand; each exposes ``main(*, ...)`` with keyword-only arguments."""
