"""``python -m autoencoder_np <command>``: see ``cli.py``."""

import sys

from .cli import main

sys.exit(main())
