"""``python -m signage.voice DIR [--overwrite]``: write the voice clips (the Makefile calls this)."""

import argparse
import logging
import sys

from .clips import generate_clips
from .phrase import VoiceError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m signage.voice", description=__doc__)
    parser.add_argument("directory")
    parser.add_argument("--overwrite", action="store_true", help="regenerate clips that exist (recordings too)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        written = generate_clips(args.directory, overwrite=args.overwrite)
    except VoiceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{len(written)} clip(s) written to {args.directory}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
