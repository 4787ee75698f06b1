"""``python -m benchmarks [--quick] [--out PATH]``"""

from benchmarks.run import main

raise SystemExit(main())
