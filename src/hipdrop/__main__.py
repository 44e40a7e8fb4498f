from hipdrop.cli import main

raise SystemExit(main())
