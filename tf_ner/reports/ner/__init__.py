"""NER reports: entities marked in their texts, and errors in categories."""
