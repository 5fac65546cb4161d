"""Operating the warehouse: build-validate-publish beside readers, and content fingerprints of builds."""
