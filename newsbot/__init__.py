"""newsbot: eastmoney articles in, clean Jekyll posts out."""
