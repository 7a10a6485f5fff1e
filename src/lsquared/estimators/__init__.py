"""Statistics -> parameters (automatic white balance, noise profile). Never change pixels."""
