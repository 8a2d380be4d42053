"""Spiders: they only fetch, and hand every answer to the parsing functions in newsbot.parse."""
