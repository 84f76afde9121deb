"""The edge runtime's ``edgenn`` subcommands (same module shape as ``pipelines.commands``)."""
