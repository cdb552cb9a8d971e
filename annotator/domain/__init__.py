"""Plain data types and pure logic shared by every layer; imports nothing of ours."""
