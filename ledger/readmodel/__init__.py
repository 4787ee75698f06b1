"""The read side: the projection of the log into revisions, offices and digests, the rule
index, and the questions answered from them (``reader.Reader``)."""
