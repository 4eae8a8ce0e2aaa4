"""What is kept on disk: history, recordings, the speaker's calm baseline."""
