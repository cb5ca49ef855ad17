"""Help for new users: the Getting started page and the README viewer it links to."""
