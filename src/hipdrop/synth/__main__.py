from hipdrop.synth.cli import main

raise SystemExit(main())
