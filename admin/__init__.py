"""drip's faces: the `drip` command line and the web app, thin layers over the packages."""
