"""Provides loading and validation of the files a site edits: profiles and site config."""
