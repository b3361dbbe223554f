import sys

from ozara.cli.main import main

sys.exit(main())
