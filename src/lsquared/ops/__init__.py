"""One module per operation on a Frame; an operation with several methods is a package."""
