"""What a run leaves to read: the one results record every command writes and reads, with its tables
(`results`), and the plots built from it (`plots`)."""
