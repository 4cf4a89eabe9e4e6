"""The command line: ``python -m autoencoder_np <command>`` (also installed as ``autoencoder-np``).

Each command lives in its own module, which provides ``add_arguments(parser)`` and ``run(args) -> int``;
register it in ``COMMANDS``. Every command module is imported to build the parser, so it imports heavy
modules (matplotlib via ``plotting``) inside ``run``, keeping ``--help`` and every command fast to start.

Bad input (ValueError, TypeError, OSError, and TrainingDiverged from a learning rate far too large) ends
with one line on stderr and exit status 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from . import __version__
from .training import TrainingDiverged

#: command name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": (
        "autoencoder_np.demo",
        "train the founding 10→5→10 autoencoder, check its gradients, plot the loss",
    ),
    "gradcheck": (
        "autoencoder_np.gradcheck.cli",
        "check backward passes against finite differences and explain failures",
    ),
    "lessons": (
        "autoencoder_np.lessons_command",
        "list the step-through lessons, or run one: lessons run 3 [--step] [--fast]",
    ),
    "assignment": ("autoencoder_np.assignments.cli", "set classroom assignments: starter code and an autograder"),
    "recsys": ("autoencoder_np.recsys.cli", "recommenders: evaluate over seeds, recommend for a user, cold start"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="autoencoder-np",
        description="Autoencoders and autoencoder recommenders in pure NumPy, every gradient by hand.",
    )
    parser.add_argument("--debug", action="store_true", help="show the full traceback on errors")
    parser.add_argument("--version", action="version", version=f"autoencoder_np {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="command")
    sub.required = True
    for name, (module, help_text) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.set_defaults(module=module)
        importlib.import_module(module).add_arguments(command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the command; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(importlib.import_module(args.module).run(args))
    except BrokenPipeError:
        # The reader closed the pipe (``… | head``): stop quietly, as Unix tools do, and keep Python from
        # complaining again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + 13  # 128 + SIGPIPE, what a shell reports for a tool stopped by a closed pipe
    except (ValueError, TypeError, OSError, TrainingDiverged) as err:
        if args.debug:
            raise
        print(f"autoencoder-np {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
