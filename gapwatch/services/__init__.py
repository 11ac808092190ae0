"""Use cases: each public function does one thing a user asks for, in one transaction."""
