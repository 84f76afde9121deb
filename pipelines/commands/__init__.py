"""One module per ``edgenn`` subcommand: ``HELP``, ``add_arguments(parser)``, ``run(args) -> int``.

Modules import only the standard library at top level; heavy imports go inside ``run``.
"""
