"""The supervisors' live view: who waits and for how long, who attends what, who is online."""
