"""``edgenn config --keys`` / ``edgenn config FILE``: every config key, or one config as it resolves."""

from __future__ import annotations

import argparse

HELP = "list every training config key with its type, default and meaning (--keys), or show a config resolved"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", nargs="?", metavar="FILE", help="a config (TOML) to show with every default filled in")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config value, as `edgenn train --set` does (repeatable)")
    parser.add_argument("--keys", action="store_true",
                        help="list every key: [data], [preprocess], [optimizer], [train] and each builder's [model]")


def run(args: argparse.Namespace) -> int:
    if args.keys:
        from pipelines.reference import keys_text

        print(keys_text())
        return 0
    from edge_runtime.errors import ConfigError

    if args.config is None:
        raise ConfigError("Expected a config FILE or --keys. Received: neither")
    import json

    from pipelines.config import load_config

    print(json.dumps(load_config(args.config, args.overrides).to_dict(), indent=2))
    return 0
