"""The application layer: commands (one registry), the unit of work over the office
aggregates, and the importer of command files. It knows the domain and the ports its storage
implements (``ports``), nothing of the read side, the server or a database."""
