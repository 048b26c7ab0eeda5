"""Understanding: text in, an IntentMatch out (intent, slots, score).
Intents YAML, normalising, the fuzzy matcher, the sentence encoder and the safety stage."""
