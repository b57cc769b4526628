//! One module per subcommand, gluing the library together.
