"""A person's account across the whole product: seeing and changing a profile, and deleting the account — which
every app takes part in (conversations, posts, ...). It sits above every app so that it can call each of them
explicitly; the user admin lives here for the same reason (its deletion is this one)."""
