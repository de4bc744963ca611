"""The command-line tools: argument parsing and wiring only; the work is in dcgan/."""
