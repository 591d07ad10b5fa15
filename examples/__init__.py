"""Example jambonz apps; each is exercised by a test through the simulator."""
