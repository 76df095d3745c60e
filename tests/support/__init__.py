"""What several test modules share, so that no test module imports another.

A test module imports its helpers from here (or takes them as conftest fixtures): a helper
that lives in a test module drags that module's collection, fixtures and marks into every
module that borrows it, and moves or renames there silently break the borrower.
"""
