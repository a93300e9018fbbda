<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context>
    <name>ComparisonReport</name>
    <message>
        <location filename="../ui/eval/comparison_report.cpp" line="+22"/>
        <source>Suite</source>
        <translation>Suite</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Task</source>
        <translation>Aufgabe</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Metric</source>
        <translation>Metrik</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Baseline</source>
        <translation>Baseline</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Test</source>
        <translation>Test</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Samples</source>
        <translation>Stichproben</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Seed</source>
        <translation>Seed</translation>
    </message>
    <message>
        <location line="+48"/>
        <source>Evaluation comparison: %1</source>
        <translation>Evaluierungsvergleich: %1</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Written %1 by Tunebench.</source>
        <translation>Erstellt von Tunebench am %1.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Settings</source>
        <translation>Einstellungen</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Scores (change against the baseline)</source>
        <translation>Ergebnisse (Änderung gegenüber der Baseline)</translation>
    </message>
</context>
<context>
    <name>RunConfigForm</name>
    <message>
        <location filename="../ui/method/run_config_form.cpp" line="+135"/>
        <source>a number</source>
        <translation>eine Zahl</translation>
    </message>
    <message>
        <location line="+32"/>
        <source>Selective layers</source>
        <translation>Ausgewählte Schichten</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>ranges like &quot;0-3, 10&quot;</source>
        <translation>Bereiche wie &quot;0-3, 10&quot;</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>LoRA alpha</source>
        <translation>LoRA-Alpha</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>LoRA dropout</source>
        <translation>LoRA-Dropout</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Learning rate</source>
        <translation>Lernrate</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Final LR ratio</source>
        <translation>LR-Verhältnis am Ende</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Weight decay</source>
        <translation>Weight Decay</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Momentum</source>
        <translation>Momentum</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Gradient clipping</source>
        <translation>Gradienten-Clipping</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Seed</source>
        <translation>Seed</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>a whole number ≥ 0</source>
        <translation>eine ganze Zahl ≥ 0</translation>
    </message>
</context>
<context>
    <name>main</name>
    <message>
        <location filename="../app/gui_main.cpp" line="+71"/>
        <source>Fine-tune, watch and compare language models</source>
        <translation>Sprachmodelle feinabstimmen, beim Training beobachten und vergleichen</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Run store (SQLite).</source>
        <translation>Laufspeicher (SQLite).</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Open this RUN.json.</source>
        <translation>Diese RUN.json öffnen.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Start the opened run right away.</source>
        <translation>Den geöffneten Lauf sofort starten.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Save a PNG of every panel into this folder and quit (after the run, with --start).</source>
        <translation>Ein PNG jeder Ansicht in diesem Ordner speichern und beenden (mit --start nach dem Lauf).</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>User interface language (e.g. de, en); default: the system&apos;s.</source>
        <translation>Sprache der Oberfläche (z. B. de, en); Vorgabe: die des Systems.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Colours: system, light or dark (remembered).</source>
        <translation>Farben: system, light oder dark (wird gespeichert).</translation>
    </message>
</context>
<context>
    <name>tb::ui</name>
    <message>
        <location filename="../ui/history/run_curves.cpp" line="+99"/>
        <source>Training loss</source>
        <translation>Trainingsverlust</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Validation loss</source>
        <translation>Validierungsverlust</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Learning rate</source>
        <translation>Lernrate</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Throughput (tokens/s)</source>
        <translation>Durchsatz (Token/s)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Epoch</source>
        <translation>Epoche</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Tokens seen</source>
        <translation>Gesehene Token</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Validation loss: %1</source>
        <translation>Validierungsverlust: %1</translation>
    </message>
</context>
<context>
    <name>tb::ui::ConfigDiffView</name>
    <message>
        <location filename="../ui/history/config_diff.cpp" line="+108"/>
        <source>&amp;Differences only</source>
        <translation>Nur Unterschie&amp;de</translation>
    </message>
    <message>
        <location line="-35"/>
        <source>Run name</source>
        <translation>Laufname</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Base model</source>
        <translation>Basismodell</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Fine-tuning method</source>
        <translation>Fine-Tuning-Methode</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>LoRA rank</source>
        <translation>LoRA-Rang</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>LoRA alpha</source>
        <translation>LoRA-Alpha</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>LoRA dropout</source>
        <translation>LoRA-Dropout</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>LoRA target modules</source>
        <translation>LoRA-Zielmodule</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Adapter bottleneck size</source>
        <translation>Bottleneck-Größe der Adapter</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Virtual tokens</source>
        <translation>Virtuelle Token</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Training files</source>
        <translation>Trainingsdateien</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Maximum sequence length</source>
        <translation>Maximale Sequenzlänge</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Prompt template</source>
        <translation>Prompt-Vorlage</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Loss on the prompt too</source>
        <translation>Verlust auch auf dem Prompt</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Optimizer</source>
        <translation>Optimierer</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Learning rate</source>
        <translation>Lernrate</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Steps</source>
        <translation>Schritte</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Batch size</source>
        <translation>Batchgröße</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Gradient accumulation</source>
        <translation>Gradientenakkumulation</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Learning-rate schedule</source>
        <translation>Lernratenplan</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Warm-up steps</source>
        <translation>Warm-up-Schritte</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Weight decay</source>
        <translation>Weight Decay</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Gradient clipping</source>
        <translation>Gradienten-Clipping</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Validate every (steps)</source>
        <translation>Validieren alle (Schritte)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Checkpoint every (steps)</source>
        <translation>Checkpoint alle (Schritte)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Seed</source>
        <translation>Seed</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Precision</source>
        <translation>Rechengenauigkeit</translation>
    </message>
    <message>
        <location line="+62"/>
        <source>Select two or more runs in the table to compare their configurations.</source>
        <translation>Wählen Sie zwei oder mehr Läufe in der Tabelle aus, um ihre Konfigurationen zu vergleichen.</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>The configurations are the same.</source>
        <translation>Die Konfigurationen sind gleich.</translation>
    </message>
    <message numerus="yes">
        <location line="+1"/>
        <source>%n key(s) differ; cells unlike the first run&apos;s are highlighted.</source>
        <translation>
            <numerusform>%n Schlüssel unterscheidet sich; Zellen, die vom ersten Lauf abweichen, sind hervorgehoben.</numerusform>
            <numerusform>%n Schlüssel unterscheiden sich; Zellen, die vom ersten Lauf abweichen, sind hervorgehoben.</numerusform>
        </translation>
    </message>
    <message>
        <location line="+16"/>
        <source>(not set)</source>
        <translation>(nicht gesetzt)</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Differs from run %1</source>
        <translation>Weicht von Lauf %1 ab</translation>
    </message>
</context>
<context>
    <name>tb::ui::DatasetPanel</name>
    <message>
        <location filename="../ui/dataset/dataset_panel.cpp" line="+155"/>
        <source>&amp;Add files…</source>
        <translation>Dateien &amp;hinzufügen…</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>C&amp;lear</source>
        <translation>&amp;Leeren</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+125"/>
        <source>File</source>
        <translation>Datei</translation>
    </message>
    <message>
        <location line="-125"/>
        <source>Format</source>
        <translation>Format</translation>
    </message>
    <message>
        <location line="+0"/>
        <location line="+115"/>
        <source>Records</source>
        <translation>Einträge</translation>
    </message>
    <message>
        <location line="-115"/>
        <source>Problems</source>
        <translation>Probleme</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Shape</source>
        <translation>Struktur</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Tasks</source>
        <translation>Aufgaben</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Dataset files (drop them here):</source>
        <translation>Datensatzdateien (hier ablegen):</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Source field</source>
        <translation>Quellfeld</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Tunebench field</source>
        <translation>Tunebench-Feld</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Field mapping:</source>
        <translation>Feldzuordnung:</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Alpaca</source>
        <translation>Alpaca</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>ChatML</source>
        <translation>ChatML</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Plain</source>
        <translation>Einfach</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>How each record becomes training text; the loss goes on the response</source>
        <translation>Wie jeder Eintrag zu Trainingstext wird; der Verlust wird auf der Antwort berechnet</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Model or tokenizer folder, for token lengths</source>
        <translation>Modell- oder Tokenizer-Ordner, für die Tokenlängen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Browse…</source>
        <translation>&amp;Durchsuchen…</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Examples longer than this many tokens are truncated</source>
        <translation>Beispiele mit mehr Token als angegeben werden gekürzt</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>&amp;Template:</source>
        <translation>&amp;Vorlage:</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Tokenizer:</source>
        <translation>Tokenizer:</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>&amp;Max length:</source>
        <translation>&amp;Max. Länge:</translation>
    </message>
    <message>
        <location line="+33"/>
        <source>◀ &amp;Previous</source>
        <translation>◀ &amp;Zurück</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Next ▶</source>
        <translation>&amp;Weiter ▶</translation>
    </message>
    <message>
        <location line="+26"/>
        <source>Highlighted: the response, where the loss is taken.</source>
        <translation>Hervorgehoben: die Antwort, auf der der Verlust berechnet wird.</translation>
    </message>
    <message>
        <location line="-160"/>
        <location line="+163"/>
        <source>Task</source>
        <translation>Aufgabe</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Share</source>
        <translation>Anteil</translation>
    </message>
    <message>
        <location line="+428"/>
        <source>Showing only %1.</source>
        <translation>Nur %1 wird angezeigt.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Showing every file; select one in the list to see only its records.</source>
        <translation>Alle Dateien werden angezeigt; wählen Sie eine in der Liste aus, um nur ihre Einträge zu sehen.</translation>
    </message>
    <message>
        <location line="+25"/>
        <source>Not shown, empty in every record: %1</source>
        <translation>Nicht angezeigt, da in jedem Eintrag leer: %1</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Page %L1 of %L2 (rows %L3–%L4 of %L5)</source>
        <translation>Seite %L1 von %L2 (Zeilen %L3–%L4 von %L5)</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>%1%</source>
        <translation>%1 %</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>Pro&amp;blems (%L1)</source>
        <translation>Pro&amp;bleme (%L1)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>No problems found (records read: %L1).</source>
        <translation>Keine Probleme gefunden (gelesene Einträge: %L1).</translation>
    </message>
    <message>
        <location line="+36"/>
        <source>%1, line %L2</source>
        <translation>%1, Zeile %L2</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>%1, line %L2 (select a record in the preview to see another)</source>
        <translation>%1, Zeile %L2 (wählen Sie einen Eintrag in der Vorschau, um einen anderen zu sehen)</translation>
    </message>
    <message>
        <location line="+109"/>
        <source>Reading the files…</source>
        <translation>Dateien werden gelesen…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Counting token lengths…</source>
        <translation>Tokenlängen werden gezählt…</translation>
    </message>
    <message>
        <location line="-657"/>
        <source>Line</source>
        <translation>Zeile</translation>
    </message>
    <message>
        <location line="-179"/>
        <source>Prompt</source>
        <translation>Prompt</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Response</source>
        <translation>Antwort</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Instruction</source>
        <translation>Anweisung</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Input</source>
        <translation>Eingabe</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Output</source>
        <translation>Ausgabe</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Text</source>
        <translation>Text</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Chat messages</source>
        <translation>Chat-Nachrichten</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Completion (as response)</source>
        <translation>Vervollständigung (als Antwort)</translation>
    </message>
    <message>
        <location line="+41"/>
        <source>&amp;Remove</source>
        <translation>Ent&amp;fernen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Take the selected file off the list (Delete)</source>
        <translation>Die gewählte Datei aus der Liste nehmen (Entf)</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Folder</source>
        <translation>Ordner</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Drop JSONL, JSON or CSV files here. Each file is a task unless its records name their own task. Select a file to preview only its records.</source>
        <translation>JSONL-, JSON- oder CSV-Dateien hier ablegen. Jede Datei ist eine Aufgabe, sofern ihre Einträge nicht selbst eine Aufgabe angeben. Wählen Sie eine Datei aus, um nur ihre Einträge in der Vorschau zu sehen.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Remove from the list</source>
        <translation>Aus der Liste entfernen</translation>
    </message>
    <message>
        <location line="+60"/>
        <source>Show &amp;all files</source>
        <translation>Alle Dateien an&amp;zeigen</translation>
    </message>
    <message>
        <location line="+57"/>
        <source>Field</source>
        <translation>Feld</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Problem</source>
        <translation>Problem</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Double-click a problem to see its record in the preview</source>
        <translation>Auf ein Problem doppelklicken, um den zugehörigen Eintrag in der Vorschau anzuzeigen</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Pre&amp;view</source>
        <translation>Vor&amp;schau</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Te&amp;mplate</source>
        <translation>V&amp;orlage</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Tas&amp;ks</source>
        <translation>&amp;Aufgaben</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Token &amp;lengths</source>
        <translation>Tok&amp;enlängen</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+484"/>
        <source>Pro&amp;blems</source>
        <translation>Pro&amp;bleme</translation>
    </message>
    <message>
        <location line="-471"/>
        <source>Drop JSONL, JSON or CSV files here, or click Add files…</source>
        <translation>JSONL-, JSON- oder CSV-Dateien hier ablegen oder auf „Dateien hinzufügen…“ klicken</translation>
    </message>
    <message>
        <location line="+138"/>
        <source>Import dataset files</source>
        <translation>Datensatzdateien importieren</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Datasets (*.jsonl *.ndjson *.json *.csv);;All files (*)</source>
        <translation>Datensätze (*.jsonl *.ndjson *.json *.csv);;Alle Dateien (*)</translation>
    </message>
    <message>
        <location line="+77"/>
        <source>(ignore)</source>
        <translation>(ignorieren)</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>Reading 1 file…</source>
        <translation>1 Datei wird gelesen…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Reading %L1 files…</source>
        <translation>%L1 Dateien werden gelesen…</translation>
    </message>
    <message>
        <location line="+60"/>
        <source>reading…</source>
        <translation>wird gelesen…</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>unknown</source>
        <translation>unbekannt</translation>
    </message>
    <message>
        <location line="+70"/>
        <source>field &apos;%1&apos;: %2</source>
        <translation>Feld „%1“: %2</translation>
    </message>
    <message>
        <location line="+148"/>
        <source>No record to show.</source>
        <translation>Kein Eintrag zum Anzeigen.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Record: %1</source>
        <translation>Eintrag: %1</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>Tokenizer: %1</source>
        <translation>Tokenizer: %1</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Model or tokenizer folder</source>
        <translation>Modell- oder Tokenizer-Ordner</translation>
    </message>
    <message>
        <location line="+46"/>
        <source>Token lengths: %1</source>
        <translation>Tokenlängen: %1</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Choose a tokenizer to see token lengths.</source>
        <translation>Einen Tokenizer wählen, um die Tokenlängen zu sehen.</translation>
    </message>
</context>
<context>
    <name>tb::ui::EvalResults</name>
    <message>
        <location filename="../ui/eval/eval_results.cpp" line="+22"/>
        <source>base: %1</source>
        <translation>Basis: %1</translation>
    </message>
    <message>
        <location line="+47"/>
        <source>%1 (#%2)</source>
        <translation>%1 (#%2)</translation>
    </message>
    <message>
        <location line="+83"/>
        <source>ROUGE-1</source>
        <translation>ROUGE-1</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>ROUGE-2</source>
        <translation>ROUGE-2</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>ROUGE-L</source>
        <translation>ROUGE-L</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>ROUGE-Lsum</source>
        <translation>ROUGE-Lsum</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>BLEU</source>
        <translation>BLEU</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>chrF</source>
        <translation>chrF</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Accuracy</source>
        <translation>Genauigkeit</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Accuracy (length-normalised)</source>
        <translation>Genauigkeit (längennormiert)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Exact match</source>
        <translation>Exakte Übereinstimmung</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Token F1</source>
        <translation>Token-F1</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Perplexity</source>
        <translation>Perplexität</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Calibration error</source>
        <translation>Kalibrierungsfehler</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Correct</source>
        <translation>Korrekt</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Correct (length-normalised)</source>
        <translation>Korrekt (längennormiert)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Robustness</source>
        <translation>Robustheit</translation>
    </message>
</context>
<context>
    <name>tb::ui::EvaluationPanel</name>
    <message>
        <location filename="../ui/eval/evaluation_panel.cpp" line="+150"/>
        <source>Checked runs and base models are compared and evaluated</source>
        <translation>Angehakte Läufe und Basismodelle werden verglichen und evaluiert</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Refresh</source>
        <translation>&amp;Aktualisieren</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Runs and base models:</source>
        <translation>Läufe und Basismodelle:</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Suite whose stored results are shown</source>
        <translation>Suite, deren gespeicherte Ergebnisse angezeigt werden</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>SUITE.json to run with Evaluate…</source>
        <translation>SUITE.json, die mit „Evaluieren…“ ausgeführt wird</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Browse…</source>
        <translation>&amp;Durchsuchen…</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>The model every other one is compared with (changes, significance)</source>
        <translation>Das Modell, mit dem alle anderen verglichen werden (Änderungen, Signifikanz)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Paired bootstrap</source>
        <translation>Gepaartes Bootstrapping</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Approximate randomization</source>
        <translation>Approximativer Randomisierungstest</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Significance test against the baseline, on the stored per-example outputs (sacreBLEU --paired-bs / --paired-ar)</source>
        <translation>Signifikanztest gegenüber der Baseline, auf den gespeicherten Ausgaben pro Beispiel (sacreBLEU --paired-bs / --paired-ar)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Evaluate…</source>
        <translation>&amp;Evaluieren…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Run the suite file on the checked models (only the filtered task, if one is chosen)</source>
        <translation>Die Suite-Datei auf den angehakten Modellen ausführen (nur die gefilterte Aufgabe, falls eine gewählt ist)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Cancel</source>
        <translation>Abb&amp;rechen</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>Suite:</source>
        <translation>Suite:</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Suite file:</source>
        <translation>Suite-Datei:</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Task:</source>
        <translation>Aufgabe:</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Metric:</source>
        <translation>Metrik:</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Baseline:</source>
        <translation>Baseline:</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Test:</source>
        <translation>Test:</translation>
    </message>
    <message>
        <location line="+31"/>
        <source>C&amp;harts</source>
        <translation>Dia&amp;gramme</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>One self-contained file: settings, charts, significance and the table</source>
        <translation>Eine eigenständige Datei: Einstellungen, Diagramme, Signifikanz und die Tabelle</translation>
    </message>
    <message>
        <location line="+396"/>
        <source>Computing significance…</source>
        <translation>Signifikanz wird berechnet…</translation>
    </message>
    <message>
        <location line="+63"/>
        <source>The baseline (%1) has no %2 score on %3, so nothing is tested against it.</source>
        <translation>Die Baseline (%1) hat kein %2-Ergebnis für %3, daher wird nichts gegen sie getestet.</translation>
    </message>
    <message>
        <location line="-470"/>
        <source>&amp;Table</source>
        <translation>&amp;Tabelle</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>E&amp;xamples</source>
        <translation>&amp;Beispiele</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Table as &amp;CSV…</source>
        <translation>Tabelle als &amp;CSV…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Charts as &amp;PNG…</source>
        <translation>Diagramme als &amp;PNG…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Charts as &amp;SVG…</source>
        <translation>Diagramme als &amp;SVG…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Report as HTML…</source>
        <translation>&amp;Bericht als HTML…</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Ex&amp;port</source>
        <translation>Ex&amp;portieren</translation>
    </message>
    <message>
        <location line="+76"/>
        <source>Run store</source>
        <translation>Laufspeicher</translation>
    </message>
    <message>
        <location line="+99"/>
        <source>Choose a suite</source>
        <translation>Suite wählen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Suites (*.json);;All files (*)</source>
        <translation>Suiten (*.json);;Alle Dateien (*)</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>All tasks</source>
        <translation>Alle Aufgaben</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>All metrics</source>
        <translation>Alle Metriken</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>No runs or base models yet — train one in Live training (F5), then evaluate it here.</source>
        <translation>Noch keine Läufe oder Basismodelle — trainieren Sie ein Modell im Live-Training (F5) und evaluieren Sie es dann hier.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>No evaluations yet — choose a suite and press Evaluate.</source>
        <translation>Noch keine Evaluierungen — wählen Sie eine Suite und drücken Sie „Evaluieren“.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Check one or more runs or base models on the left to compare them.</source>
        <translation>Haken Sie links einen oder mehrere Läufe oder Basismodelle an, um sie zu vergleichen.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The checked models have no results on %1 yet — press Evaluate to run the suite on them.</source>
        <translation>Die angehakten Modelle haben noch keine Ergebnisse für %1 — drücken Sie „Evaluieren“, um die Suite auf ihnen auszuführen.</translation>
    </message>
    <message>
        <location line="+58"/>
        <source>Task</source>
        <translation>Aufgabe</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Metric</source>
        <translation>Metrik</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>Stored as %1</source>
        <translation>Gespeichert als %1</translation>
    </message>
    <message>
        <location line="+222"/>
        <source>Export CSV</source>
        <translation>CSV exportieren</translation>
    </message>
    <message>
        <location line="+0"/>
        <location line="+11"/>
        <location line="+26"/>
        <source>Cannot write %1: %2</source>
        <translation>%1 kann nicht geschrieben werden: %2</translation>
    </message>
    <message>
        <location line="-26"/>
        <source>Export PNG</source>
        <translation>PNG exportieren</translation>
    </message>
    <message>
        <location line="+26"/>
        <source>Export SVG</source>
        <translation>SVG exportieren</translation>
    </message>
    <message>
        <location line="+29"/>
        <source>each chart&apos;s own (primary, ROUGE-L, BLEU, chrF)</source>
        <translation>jeweils die des Diagramms (primär, ROUGE-L, BLEU, chrF)</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>Export report</source>
        <translation>Bericht exportieren</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>CSV files (*.csv)</source>
        <translation>CSV-Dateien (*.csv)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>PNG images (*.png)</source>
        <translation>PNG-Bilder (*.png)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>HTML reports (*.html)</source>
        <translation>HTML-Berichte (*.html)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>SVG images (*.svg)</source>
        <translation>SVG-Bilder (*.svg)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Export</source>
        <translation>Exportieren</translation>
    </message>
    <message>
        <location line="+21"/>
        <location line="+5"/>
        <source>Evaluate</source>
        <translation>Evaluieren</translation>
    </message>
    <message>
        <location line="-5"/>
        <source>Choose a suite file (SUITE.json) first.</source>
        <translation>Wählen Sie zuerst eine Suite-Datei (SUITE.json).</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Check at least one run or base model to evaluate.</source>
        <translation>Haken Sie mindestens einen Lauf oder ein Basismodell zum Evaluieren an.</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>%1: %2 (%3/%4)</source>
        <translation>%1: %2 (%3/%4)</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Evaluation finished.</source>
        <translation>Evaluierung abgeschlossen.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Evaluation cancelled.</source>
        <translation>Evaluierung abgebrochen.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Evaluation failed: %1</source>
        <translation>Evaluierung fehlgeschlagen: %1</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Loading the model…</source>
        <translation>Modell wird geladen…</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Cancelling…</source>
        <translation>Wird abgebrochen…</translation>
    </message>
</context>
<context>
    <name>tb::ui::ExampleDialog</name>
    <message>
        <location filename="../ui/eval/example_view.cpp" line="+323"/>
        <source>Examples of %1 (%2)</source>
        <translation>Beispiele von %1 (%2)</translation>
    </message>
</context>
<context>
    <name>tb::ui::ExampleView</name>
    <message>
        <location line="-263"/>
        <source>Each model&apos;s change per example is measured against this one</source>
        <translation>Die Änderung jedes Modells pro Beispiel wird gegenüber diesem gemessen</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Example order</source>
        <translation>Reihenfolge der Beispiele</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Largest change first</source>
        <translation>Größte Änderung zuerst</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Largest drop first</source>
        <translation>Größter Rückgang zuerst</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Regressions only</source>
        <translation>Nur Regress&amp;ionen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Only examples where some model scores worse than the baseline</source>
        <translation>Nur Beispiele, bei denen ein Modell schlechter abschneidet als die Baseline</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Export &amp;comparison as CSV…</source>
        <translation>&amp;Vergleich als CSV exportieren…</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Select an example to read it in full</source>
        <translation>Wählen Sie ein Beispiel aus, um es vollständig zu lesen</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Task:</source>
        <translation>Aufgabe:</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Baseline:</source>
        <translation>Baseline:</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Order:</source>
        <translation>Reihenfolge:</translation>
    </message>
    <message>
        <location line="+75"/>
        <source>Run store</source>
        <translation>Laufspeicher</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Example</source>
        <translation>Beispiel</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Prompt</source>
        <translation>Prompt</translation>
    </message>
    <message>
        <location line="+0"/>
        <location line="+94"/>
        <source>Reference</source>
        <translation>Referenz</translation>
    </message>
    <message>
        <location line="-92"/>
        <source>%1: output</source>
        <translation>%1: Ausgabe</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>%1: scores</source>
        <translation>%1: Ergebnisse</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Δ %1</source>
        <translation>Δ %1</translation>
    </message>
    <message>
        <location line="+44"/>
        <source>No evaluated examples yet — choose a suite and press Evaluate to see each model&apos;s outputs here.</source>
        <translation>Noch keine evaluierten Beispiele — wählen Sie eine Suite und drücken Sie „Evaluieren“, um hier die Ausgaben jedes Modells zu sehen.</translation>
    </message>
    <message numerus="yes">
        <location line="+2"/>
        <source>%n example(s)</source>
        <translation>
            <numerusform>%n Beispiel</numerusform>
            <numerusform>%n Beispiele</numerusform>
        </translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 of %2 models evaluated</source>
        <translation>%1 von %2 Modellen evaluiert</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>changes in %1</source>
        <translation>Änderungen in %1</translation>
    </message>
    <message numerus="yes">
        <location line="+2"/>
        <source>%n shown</source>
        <translation>
            <numerusform>%n angezeigt</numerusform>
            <numerusform>%n angezeigt</numerusform>
        </translation>
    </message>
    <message>
        <location line="+36"/>
        <source>Prompt (example %1)</source>
        <translation>Prompt (Beispiel %1)</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>Export CSV</source>
        <translation>CSV exportieren</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Cannot write %1: %2</source>
        <translation>%1 kann nicht geschrieben werden: %2</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Export comparison</source>
        <translation>Vergleich exportieren</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>CSV files (*.csv)</source>
        <translation>CSV-Dateien (*.csv)</translation>
    </message>
</context>
<context>
    <name>tb::ui::ForgettingPanel</name>
    <message>
        <location filename="../ui/eval/forgetting_panel.cpp" line="+95"/>
        <source>worse than the base</source>
        <translation>schlechter als die Basis</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>no change</source>
        <translation>keine Änderung</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>better (scaled per task)</source>
        <translation>besser (je Aufgabe skaliert)</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>The base model&apos;s own scores are row 0 of the matrix</source>
        <translation>Die Ergebnisse des Basismodells selbst bilden Zeile 0 der Matrix</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Refresh</source>
        <translation>&amp;Aktualisieren</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Suite:</source>
        <translation>Suite:</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Base model:</source>
        <translation>Basismodell:</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>&amp;Add →</source>
        <translation>Hinzu&amp;fügen →</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Re&amp;move</source>
        <translation>&amp;Entfernen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Up</source>
        <translation>Nach &amp;oben</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Down</source>
        <translation>Nach &amp;unten</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Stage (run)</source>
        <translation>Stufe (Lauf)</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Trained task</source>
        <translation>Trainierte Aufgabe</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>&amp;Compute</source>
        <translation>&amp;Berechnen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Save report</source>
        <translation>Bericht &amp;speichern</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>S&amp;how</source>
        <translation>An&amp;zeigen</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Independent runs of one base</source>
        <translation>Unabhängige Läufe auf einer Basis</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Sequential chain</source>
        <translation>Sequenzielle Kette</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Independent: each run fine-tunes the same base model. Chain: each run fine-tunes the model the previous run produced. The default is what the runs&apos; configurations show.</source>
        <translation>Unabhängig: Jeder Lauf stimmt dasselbe Basismodell fein. Kette: Jeder Lauf stimmt das Modell fein, das der vorherige Lauf erzeugt hat. Voreingestellt ist, was die Konfigurationen der Läufe angeben.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Count &amp;perplexity as log change</source>
        <translation>&amp;Perplexität als Log-Änderung zählen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Perplexity and other lower-is-better scores are left out of gains, costs, backward transfer and forgetting; checked, they count as ln(base / score) (for perplexity: the drop in mean token loss)</source>
        <translation>Perplexität und andere Ergebnisse, bei denen niedriger besser ist, werden bei Zugewinnen, Kosten, Backward Transfer und Vergessen nicht berücksichtigt; angehakt zählen sie als ln(Basis / Ergebnis) (bei der Perplexität: der Rückgang des mittleren Token-Verlusts)</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Check &amp;general ability</source>
        <translation>All&amp;gemeine Fähigkeit prüfen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Loss and perplexity on a general text sample, of the stages (or the selected runs) and their base models; stored as suite &quot;general&quot;</source>
        <translation>Verlust und Perplexität auf einer allgemeinen Textprobe, für die Stufen (oder die gewählten Läufe) und ihre Basismodelle; gespeichert als Suite „general“</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Te&amp;xt…</source>
        <translation>Te&amp;xt…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The text sample for the general check (default: the one shipped with Tunebench)</source>
        <translation>Die Textprobe für die allgemeine Prüfung (Vorgabe: die mit Tunebench ausgelieferte)</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Runs are:</source>
        <translation>Die Läufe sind:</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Stored reports:</source>
        <translation>Gespeicherte Berichte:</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>Click a cell to see that model&apos;s outputs on that task</source>
        <translation>Auf eine Zelle klicken, um die Ausgaben dieses Modells für diese Aufgabe zu sehen</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Mean score over the tasks after the last stage</source>
        <translation>Mittleres Ergebnis über alle Aufgaben nach der letzten Stufe</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Backward transfer (Lopez-Paz &amp; Ranzato 2017): mean change on each earlier stage&apos;s task from right after that stage to the end; negative means forgetting</source>
        <translation>Backward Transfer (Lopez-Paz &amp; Ranzato 2017): mittlere Änderung auf der Aufgabe jeder früheren Stufe von direkt nach dieser Stufe bis zum Ende; negativ bedeutet Vergessen</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Forgetting (Chaudhry et al. 2018): mean over the tasks trained before the last stage of the best earlier score minus the final score</source>
        <translation>Vergessen (Chaudhry et al. 2018): Mittelwert über die vor der letzten Stufe trainierten Aufgaben aus bestem früherem Ergebnis minus Endergebnis</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Mean over the runs of the change on the task each run was trained on</source>
        <translation>Mittelwert über die Läufe der Änderung auf der Aufgabe, auf der jeder Lauf trainiert wurde</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Mean over the runs of the mean change on the tasks a run was not trained on; negative is the cost of fine-tuning</source>
        <translation>Mittelwert über die Läufe der mittleren Änderung auf den Aufgaben, auf denen ein Lauf nicht trainiert wurde; ein negativer Wert sind die Kosten des Fine-Tunings</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Export &amp;heatmap…</source>
        <translation>&amp;Heatmap exportieren…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Export &amp;table…</source>
        <translation>&amp;Tabelle exportieren…</translation>
    </message>
    <message>
        <location line="+71"/>
        <location line="+657"/>
        <location line="+50"/>
        <location line="+7"/>
        <source>Export heatmap</source>
        <translation>Heatmap exportieren</translation>
    </message>
    <message>
        <location line="-713"/>
        <source>SVG (*.svg);;PNG image (*.png)</source>
        <translation>SVG (*.svg);;PNG-Bild (*.png)</translation>
    </message>
    <message>
        <location line="+5"/>
        <location line="+636"/>
        <location line="+6"/>
        <source>Export table</source>
        <translation>Tabelle exportieren</translation>
    </message>
    <message>
        <location line="-641"/>
        <source>CSV (*.csv)</source>
        <translation>CSV (*.csv)</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>General text sample</source>
        <translation>Allgemeine Textprobe</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Text (*.txt);;All files (*)</source>
        <translation>Text (*.txt);;Alle Dateien (*)</translation>
    </message>
    <message>
        <location line="+27"/>
        <location line="+214"/>
        <source>Run store</source>
        <translation>Laufspeicher</translation>
    </message>
    <message>
        <location line="-192"/>
        <source>%1 (%2)</source>
        <translation>%1 (%2)</translation>
    </message>
    <message>
        <location line="+18"/>
        <location line="+97"/>
        <source>(unknown)</source>
        <translation>(unbekannt)</translation>
    </message>
    <message>
        <location line="-85"/>
        <source>Suite</source>
        <translation>Suite</translation>
    </message>
    <message>
        <location line="+148"/>
        <location line="+18"/>
        <location line="+32"/>
        <location line="+186"/>
        <location line="+104"/>
        <source>Forgetting</source>
        <translation>Vergessen</translation>
    </message>
    <message>
        <location line="-340"/>
        <source>Choose a suite, a base model and at least one stage.</source>
        <translation>Wählen Sie eine Suite, ein Basismodell und mindestens eine Stufe.</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>No stored scores of suite %1 for these models: evaluate them first.</source>
        <translation>Keine gespeicherten Ergebnisse der Suite %1 für diese Modelle: Evaluieren Sie sie zuerst.</translation>
    </message>
    <message>
        <location line="+45"/>
        <source>Base</source>
        <translation>Basis</translation>
    </message>
    <message>
        <location line="+29"/>
        <source>ln %1</source>
        <translation>ln %1</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>(excluded)</source>
        <translation>(ausgeschlossen)</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>%1 on %2: %3 (change against the base %4)</source>
        <translation>%1 auf %2: %3 (Änderung gegenüber der Basis %4)</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>%1 is lower-is-better: counted as ln(base / score) = %2</source>
        <translation>%1: niedriger ist besser; gezählt als ln(Basis / Ergebnis) = %2</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 is lower-is-better: left out of the averages, gains and costs</source>
        <translation>%1: niedriger ist besser; bei Mittelwerten, Zugewinnen und Kosten nicht berücksichtigt</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Metric: %1</source>
        <translation>Metrik: %1</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Average score: %1</source>
        <translation>Durchschnittliches Ergebnis: %1</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Backward transfer: %1</source>
        <translation>Backward Transfer: %1</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+2"/>
        <location line="+2"/>
        <location line="+2"/>
        <source>n/a</source>
        <translation>k. A.</translation>
    </message>
    <message>
        <location line="-5"/>
        <source>Forgetting: %1</source>
        <translation>Vergessen: %1</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Mean gain: %1</source>
        <translation>Mittlerer Zugewinn: %1</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Mean change elsewhere: %1</source>
        <translation>Mittlere Änderung anderswo: %1</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Independent runs of one base model: each run is compared with the base. Gain is the change on the task the run was trained on; the change elsewhere is the mean change on the other tasks, and a negative one is what the fine-tune cost.</source>
        <translation>Unabhängige Läufe auf einem Basismodell: Jeder Lauf wird mit der Basis verglichen. Der Zugewinn ist die Änderung auf der Aufgabe, auf der der Lauf trainiert wurde; die Änderung anderswo ist die mittlere Änderung auf den übrigen Aufgaben, und eine negative ist das, was das Fine-Tuning gekostet hat.</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>had no other task to compare</source>
        <translation>hatte keine andere Aufgabe zum Vergleich</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>lost %1 on average elsewhere</source>
        <translation>verlor anderswo durchschnittlich %1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>gained %1 on average elsewhere</source>
        <translation>gewann anderswo durchschnittlich %1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1 gained %2 on %3 and %4.</source>
        <translation>%1 gewann %2 auf %3 und %4.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>%1 has no comparable score on its task %2 and %3.</source>
        <translation>%1 hat kein vergleichbares Ergebnis auf seiner Aufgabe %2 und %3.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>%1 (trained task unknown: choose it in the stage list) %2.</source>
        <translation>%1 (trainierte Aufgabe unbekannt: in der Stufenliste auswählen) %2.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>A sequential chain: each run continues from the model the run before it produced.</source>
        <translation>Eine sequenzielle Kette: Jeder Lauf setzt auf dem Modell auf, das der Lauf davor erzeugt hat.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Backward transfer %1: on average, each earlier stage&apos;s task changed by %1 from right after it was trained to the end of the chain (negative means it was forgotten).</source>
        <translation>Backward Transfer %1: Im Durchschnitt änderte sich die Aufgabe jeder früheren Stufe um %1, von direkt nach ihrem Training bis zum Ende der Kette (negativ bedeutet, dass sie vergessen wurde).</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Forgetting %1: on average, the tasks trained before the last stage ended %1 below their best score.</source>
        <translation>Vergessen %1: Im Durchschnitt endeten die vor der letzten Stufe trainierten Aufgaben %1 unter ihrem besten Ergebnis.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Backward transfer and forgetting need at least two stages and the task each earlier stage trained.</source>
        <translation>Backward Transfer und Vergessen benötigen mindestens zwei Stufen und die Aufgabe, auf der jede frühere Stufe trainiert wurde.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Average score after the last stage: %1.</source>
        <translation>Durchschnittliches Ergebnis nach der letzten Stufe: %1.</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>%1 (%2, lower is better) is shown as measured but left out of the average and the summaries.</source>
        <translation>%1 (%2, niedriger ist besser) wird wie gemessen angezeigt, aber beim Mittelwert und in den Zusammenfassungen nicht berücksichtigt.</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>No runs yet — train one in Live training (F5) and evaluate it; then add runs here as stages.</source>
        <translation>Noch keine Läufe — trainieren Sie einen im Live-Training (F5) und evaluieren Sie ihn; fügen Sie dann hier Läufe als Stufen hinzu.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>No forgetting analysis yet — add runs as stages above and press Compute.</source>
        <translation>Noch keine Analyse des Vergessens — fügen Sie oben Läufe als Stufen hinzu und drücken Sie „Berechnen“.</translation>
    </message>
    <message>
        <location line="+63"/>
        <source>These runs do not share a base model (%1): the comparison with the base is not meaningful.</source>
        <translation>Diese Läufe haben kein gemeinsames Basismodell (%1): Der Vergleich mit der Basis ist nicht aussagekräftig.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>These runs each fine-tune the same base model, not the previous run&apos;s model: backward transfer and forgetting assume a chain and may mislead here.</source>
        <translation>Diese Läufe stimmen jeweils dasselbe Basismodell fein, nicht das Modell des vorherigen Laufs: Backward Transfer und Vergessen setzen eine Kette voraus und können hier in die Irre führen.</translation>
    </message>
    <message>
        <location line="+114"/>
        <location line="+15"/>
        <source>Compute or show a report first.</source>
        <translation>Berechnen Sie zuerst einen Bericht oder zeigen Sie einen an.</translation>
    </message>
    <message>
        <location line="+50"/>
        <source>Could not draw the heatmap as PNG.</source>
        <translation>Die Heatmap konnte nicht als PNG gezeichnet werden.</translation>
    </message>
    <message>
        <location line="+30"/>
        <location line="+9"/>
        <location line="+49"/>
        <source>General ability</source>
        <translation>Allgemeine Fähigkeit</translation>
    </message>
    <message>
        <location line="-58"/>
        <source>Add runs as stages, or select runs, first.</source>
        <translation>Fügen Sie zuerst Läufe als Stufen hinzu oder wählen Sie Läufe aus.</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>base %1</source>
        <translation>Basis %1</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>run %1</source>
        <translation>Lauf %1</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>general text: %v of %m models</source>
        <translation>allgemeiner Text: %v von %m Modellen</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>%1: %2 of %3 windows</source>
        <translation>%1: %2 von %3 Fenstern</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 (%2 of %3)</source>
        <translation>%1 (%2 von %3)</translation>
    </message>
    <message>
        <location line="-230"/>
        <source>%1: %2</source>
        <translation>%1: %2</translation>
    </message>
    <message>
        <location line="-103"/>
        <source>%1 (%2, lower is better) counts as ln(base / score): %3 is about 5% lower.</source>
        <translation>%1 (%2, niedriger ist besser) zählt als ln(Basis / Ergebnis): %3 entspricht etwa 5 % weniger.</translation>
    </message>
    <message>
        <location line="+112"/>
        <source>Save report</source>
        <translation>Bericht speichern</translation>
    </message>
    <message>
        <location line="+42"/>
        <location line="+27"/>
        <source>base</source>
        <translation>Basis</translation>
    </message>
    <message>
        <location line="-18"/>
        <source>Examples</source>
        <translation>Beispiele</translation>
    </message>
</context>
<context>
    <name>tb::ui::InspectionView</name>
    <message>
        <location filename="../ui/history/inspection_view.cpp" line="+81"/>
        <location line="+96"/>
        <source>Measuring…</source>
        <translation>Wird gemessen…</translation>
    </message>
    <message>
        <location line="-83"/>
        <source>&amp;Absolute ‖s·B·A‖</source>
        <translation>&amp;Absolut ‖s·B·A‖</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Relative to ‖W‖</source>
        <translation>&amp;Relativ zu ‖W‖</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>Colour by:</source>
        <translation>Färben nach:</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>LoRA updates by layer and projection</source>
        <translation>LoRA-Aktualisierungen nach Schicht und Projektion</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Adapter</source>
        <translation>Adapter</translation>
    </message>
    <message>
        <location line="+0"/>
        <location line="+6"/>
        <source>Layer</source>
        <translation>Schicht</translation>
    </message>
    <message>
        <location line="-6"/>
        <source>‖up‖</source>
        <translation>‖up‖</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>‖down‖</source>
        <translation>‖down‖</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Bottleneck adapters: the up-projection starts at zero, so ‖up‖ is how much each adds</source>
        <translation>Bottleneck-Adapter: Die Up-Projektion beginnt bei null, daher zeigt ‖up‖, wie viel jeder beiträgt</translation>
    </message>
    <message>
        <location line="+2"/>
        <location line="+94"/>
        <source>Virtual token</source>
        <translation>Virtuelles Token</translation>
    </message>
    <message>
        <location line="-94"/>
        <location line="+94"/>
        <source>Norm</source>
        <translation>Norm</translation>
    </message>
    <message>
        <location line="-93"/>
        <source>Soft prompt: each virtual token&apos;s nearest vocabulary tokens (cosine similarity)</source>
        <translation>Soft-Prompt: die nächstgelegenen Vokabular-Token jedes virtuellen Tokens (Kosinus-Ähnlichkeit)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Tensor</source>
        <translation>Tensor</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Relative change</source>
        <translation>Relative Änderung</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>‖change‖</source>
        <translation>‖Änderung‖</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>‖base‖</source>
        <translation>‖Basis‖</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Tensors that changed most against the base model</source>
        <translation>Tensoren, die sich gegenüber dem Basismodell am stärksten geändert haben</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Export as CSV…</source>
        <translation>Als CSV &amp;exportieren…</translation>
    </message>
    <message>
        <location line="+49"/>
        <source>Cannot measure what this run learned: %1</source>
        <translation>Was dieser Lauf gelernt hat, kann nicht gemessen werden: %1</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Method %1; it saved %2 weights in %3 (base model %4).</source>
        <translation>Methode %1; der Lauf hat %2 Gewichte in %3 gespeichert (Basismodell %4).</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>Nearest %1</source>
        <translation>Nachbar %1</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>token %1, cosine similarity %2</source>
        <translation>Token %1, Kosinus-Ähnlichkeit %2</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>%1 of %2 tensors changed; the %3 that changed most, relative to their base norm:</source>
        <translation>%1 von %2 Tensoren geändert; die %3 mit der stärksten Änderung, relativ zu ihrer Basisnorm:</translation>
    </message>
    <message>
        <location line="+45"/>
        <source>nothing measured yet</source>
        <translation>noch nichts gemessen</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>Export what the run learned</source>
        <translation>Exportieren, was der Lauf gelernt hat</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>CSV files (*.csv)</source>
        <translation>CSV-Dateien (*.csv)</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Export CSV</source>
        <translation>CSV exportieren</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Cannot write %1: %2</source>
        <translation>%1 kann nicht geschrieben werden: %2</translation>
    </message>
</context>
<context>
    <name>tb::ui::LengthHistogram</name>
    <message>
        <location filename="../ui/dataset/length_histogram.cpp" line="+25"/>
        <source>Token lengths</source>
        <translation>Tokenlängen</translation>
    </message>
    <message>
        <location line="+53"/>
        <source>1 record longer than %L1 tokens would be truncated</source>
        <translation>1 Eintrag mit mehr als %L1 Token würde gekürzt</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%L1 records longer than %L2 tokens would be truncated</source>
        <translation>%L1 Einträge mit mehr als %L2 Token würden gekürzt</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>fits</source>
        <translation>passt</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>truncated</source>
        <translation>gekürzt</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>tokens (each bar from the number below, %L1 wide)</source>
        <translation>Token (jeder Balken ab der Zahl darunter, %L1 breit)</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Token lengths (%1 template); truncation at %L2 tokens</source>
        <translation>Tokenlängen (Vorlage %1); Kürzung bei %L2 Token</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>max length (%L1)</source>
        <translation>max. Länge (%L1)</translation>
    </message>
    <message>
        <location line="-22"/>
        <source>records</source>
        <translation>Einträge</translation>
    </message>
</context>
<context>
    <name>tb::ui::LoraTargetPicker</name>
    <message>
        <location filename="../ui/method/lora_target_picker.cpp" line="+84"/>
        <source>%1 (not in this model)</source>
        <translation>%1 (nicht in diesem Modell)</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>This model has no module named %1; untick it to drop it</source>
        <translation>Dieses Modell hat kein Modul namens %1; entfernen Sie den Haken, um es zu streichen</translation>
    </message>
    <message numerus="yes">
        <location line="+2"/>
        <source>LoRA on %n module(s): %1</source>
        <translation>
            <numerusform>LoRA auf %n Modul: %1</numerusform>
            <numerusform>LoRA auf %n Modulen: %1</numerusform>
        </translation>
    </message>
    <message>
        <location line="+16"/>
        <source>Read a model to choose from its projections, or type target names below.</source>
        <translation>Lesen Sie ein Modell ein, um aus seinen Projektionen zu wählen, oder geben Sie unten Zielnamen ein.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Nothing ticked: LoRA goes on the family default (%1).</source>
        <translation>Nichts angehakt: LoRA kommt auf die Vorgabe der Modellfamilie (%1).</translation>
    </message>
</context>
<context>
    <name>tb::ui::MainWindow</name>
    <message>
        <location filename="../ui/main_window.cpp" line="+46"/>
        <source>Tunebench</source>
        <translation>Tunebench</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>Dataset</source>
        <translation>Datensatz</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Method</source>
        <translation>Methode</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Live training</source>
        <translation>Live-Training</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Evaluation</source>
        <translation>Evaluierung</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Forgetting</source>
        <translation>Vergessen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Run history</source>
        <translation>Laufverlauf</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Playground</source>
        <translation>Playground</translation>
    </message>
    <message>
        <location line="+81"/>
        <source>Suite not opened: %1</source>
        <translation>Suite nicht geöffnet: %1</translation>
    </message>
    <message>
        <location line="+59"/>
        <location line="+15"/>
        <source>A run is already training; stop it or wait for it to finish first.</source>
        <translation>Es trainiert bereits ein Lauf; halten Sie ihn an oder warten Sie, bis er fertig ist.</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>The run could not start; see the Method panel.</source>
        <translation>Der Lauf konnte nicht starten; siehe Ansicht „Methode“.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Not started: %1</source>
        <translation>Nicht gestartet: %1</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>Unsaved changes could not be kept for the next start: %1</source>
        <translation>Ungespeicherte Änderungen konnten nicht für den nächsten Start aufbewahrt werden: %1</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>Your unsaved changes to &quot;%1&quot; are back; save or start to keep them.</source>
        <translation>Ihre ungespeicherten Änderungen an „%1“ sind wiederhergestellt; speichern oder starten Sie, um sie zu behalten.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Unsaved changes from last time could not be read (%1): %2</source>
        <translation>Ungespeicherte Änderungen vom letzten Mal konnten nicht gelesen werden (%1): %2</translation>
    </message>
    <message>
        <location line="+26"/>
        <source>&amp;File</source>
        <translation>&amp;Datei</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Open run configuration…</source>
        <translation>Laufkonfiguration ö&amp;ffnen…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Recent run &amp;configurations</source>
        <translation>Zuletzt geöffnete &amp;Laufkonfigurationen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Recent evaluation &amp;suites</source>
        <translation>Zuletzt geöffnete &amp;Evaluierungssuiten</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Recent &amp;datasets</source>
        <translation>Zuletzt geöffnete &amp;Datensätze</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>&amp;Quit</source>
        <translation>&amp;Beenden</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>&amp;Training</source>
        <translation>&amp;Training</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Start</source>
        <translation>&amp;Starten</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Pause / resume</source>
        <translation>&amp;Pausieren / fortsetzen</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>S&amp;top</source>
        <translation>&amp;Anhalten</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>&amp;View</source>
        <translation>&amp;Ansicht</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Panels</source>
        <translation>A&amp;nsichten</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Theme</source>
        <translation>&amp;Farbschema</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>&amp;System</source>
        <translation>&amp;System</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>&amp;Light</source>
        <translation>&amp;Hell</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>&amp;Dark</source>
        <translation>&amp;Dunkel</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>&amp;Help</source>
        <translation>&amp;Hilfe</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;About Tunebench</source>
        <translation>&amp;Über Tunebench</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>About Tunebench</source>
        <translation>Über Tunebench</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&lt;b&gt;Tunebench %1&lt;/b&gt;&lt;p&gt;Fine-tune language models on your own machine, watch them train and compare the runs.&lt;/p&gt;</source>
        <translation>&lt;b&gt;Tunebench %1&lt;/b&gt;&lt;p&gt;Sprachmodelle auf dem eigenen Rechner feinabstimmen, beim Training beobachten und die Läufe vergleichen.&lt;/p&gt;</translation>
    </message>
    <message>
        <location line="+37"/>
        <source>Open run configuration</source>
        <translation>Laufkonfiguration öffnen</translation>
    </message>
    <message>
        <location line="+2"/>
        <location line="+35"/>
        <source>Run configurations (*.json)</source>
        <translation>Laufkonfigurationen (*.json)</translation>
    </message>
    <message>
        <location line="-20"/>
        <source>Cloned &quot;%1&quot;: change what you like, then Start</source>
        <translation>„%1“ geklont: nach Wunsch anpassen, dann starten</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The configuration could not be read (%1); choose where to save it as a file</source>
        <translation>Die Konfiguration konnte nicht gelesen werden (%1); wählen Sie, wo sie als Datei gespeichert werden soll</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>run</source>
        <translation>lauf</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Save the cloned run configuration</source>
        <translation>Geklonte Laufkonfiguration speichern</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>Clone configuration</source>
        <translation>Konfiguration klonen</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Cloned configuration saved as %1; press Start to train it</source>
        <translation>Geklonte Konfiguration als %1 gespeichert; zum Trainieren „Starten“ drücken</translation>
    </message>
    <message numerus="yes">
        <location line="+25"/>
        <source>%n run(s) stopped when Tunebench or the computer quit; they can continue from their last checkpoint.</source>
        <translation>
            <numerusform>%n Lauf wurde angehalten, als Tunebench oder der Rechner beendet wurde; er kann ab seinem letzten Checkpoint fortgesetzt werden.</numerusform>
            <numerusform>%n Läufe wurden angehalten, als Tunebench oder der Rechner beendet wurde; sie können ab ihrem letzten Checkpoint fortgesetzt werden.</numerusform>
        </translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Resume run %1</source>
        <translation>Lauf %1 fortsetzen</translation>
    </message>
    <message>
        <location line="+100"/>
        <source>Stopping the run at the end of its step and saving a checkpoint; Tunebench closes when that is done…</source>
        <translation>Der Lauf wird am Ende seines Schritts angehalten und ein Checkpoint gespeichert; danach wird Tunebench beendet…</translation>
    </message>
    <message>
        <location line="-382"/>
        <location line="+15"/>
        <location line="+362"/>
        <source>Training in progress</source>
        <translation>Training läuft</translation>
    </message>
    <message>
        <location line="-69"/>
        <source>Resume interrupted run</source>
        <translation>Unterbrochenen Lauf fortsetzen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Run %1 (&quot;%2&quot;) was interrupted at step %3 — resume it?</source>
        <translation>Lauf %1 („%2“) wurde bei Schritt %3 unterbrochen — fortsetzen?</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>It continues from its last checkpoint at step %1; steps %2–%3 are trained again.</source>
        <translation>Er wird ab seinem letzten Checkpoint bei Schritt %1 fortgesetzt; die Schritte %2–%3 werden erneut trainiert.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>It continues from its last checkpoint at step %1.</source>
        <translation>Er wird ab seinem letzten Checkpoint bei Schritt %1 fortgesetzt.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Resume</source>
        <translation>Fortsetzen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Not now</source>
        <translation>Nicht jetzt</translation>
    </message>
    <message>
        <location line="+56"/>
        <source>A run is still training. Stop it and quit?</source>
        <translation>Ein Lauf trainiert noch. Anhalten und beenden?</translation>
    </message>
</context>
<context>
    <name>tb::ui::MethodPanel</name>
    <message>
        <location filename="../ui/method/method_panel.cpp" line="+101"/>
        <source>Base model</source>
        <translation>Basismodell</translation>
    </message>
    <message>
        <location line="+60"/>
        <source>Parameters the optimiser updates, out of all parameters (base plus added ones)</source>
        <translation>Vom Optimierer aktualisierte Parameter im Verhältnis zu allen Parametern (Basis plus hinzugefügte)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>A rough estimate of training memory: float32 weights, gradients and optimiser state for the trainable parameters, and activations for one micro-batch</source>
        <translation>Eine grobe Schätzung des Speicherbedarfs beim Training: float32-Gewichte, Gradienten und Optimiererzustand für die trainierbaren Parameter sowie Aktivierungen für einen Mikro-Batch</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Everything that keeps the run from starting; double-click one to go to its field</source>
        <translation>Alles, was den Start des Laufs verhindert; Doppelklick springt zum Feld</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>&amp;Load…</source>
        <translation>&amp;Laden…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Fill every field from a RUN.json file</source>
        <translation>Alle Felder aus einer RUN.json-Datei füllen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Sa&amp;ve…</source>
        <translation>&amp;Speichern…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Save these settings as a RUN.json file</source>
        <translation>Diese Einstellungen als RUN.json-Datei speichern</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Start training</source>
        <translation>Training s&amp;tarten</translation>
    </message>
    <message>
        <location line="+54"/>
        <source>A Hugging Face model folder (config.json + safetensors) or a llama2.c .bin; the list holds recently used models</source>
        <translation>Ein Hugging-Face-Modellordner (config.json + safetensors) oder eine llama2.c-.bin-Datei; die Liste enthält zuletzt verwendete Modelle</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>model folder or .bin</source>
        <translation>Modellordner oder .bin</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Browse…</source>
        <translation>&amp;Durchsuchen…</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Family</source>
        <translation>Familie</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Parameters</source>
        <translation>Parameter</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Vocabulary</source>
        <translation>Vokabular</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Context length</source>
        <translation>Kontextlänge</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+89"/>
        <source>Layers</source>
        <translation>Schichten</translation>
    </message>
    <message>
        <location line="-89"/>
        <source>Hidden size</source>
        <translation>Verborgene Dimension</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Attention heads</source>
        <translation>Attention-Heads</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Stored dtype</source>
        <translation>Gespeicherter dtype</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Shown in the run history; default: &lt;model folder&gt;-&lt;method&gt;</source>
        <translation>Wird im Laufverlauf angezeigt; Vorgabe: &lt;Modellordner&gt;-&lt;Methode&gt;</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Tokenizer file or folder; default: the one in the model folder</source>
        <translation>Tokenizer-Datei oder -Ordner; Vorgabe: der im Modellordner</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>from the model folder</source>
        <translation>aus dem Modellordner</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Where checkpoints and the trained adapter or model go; default: a folder per run beside the run store</source>
        <translation>Wohin Checkpoints und der trainierte Adapter bzw. das Modell geschrieben werden; Vorgabe: ein Ordner pro Lauf neben dem Laufspeicher</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>default</source>
        <translation>Vorgabe</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Run name</source>
        <translation>Laufname</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Tokenizer</source>
        <translation>Tokenizer</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Output folder</source>
        <translation>Ausgabeordner</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Method</source>
        <translation>Methode</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Full fine-tuning</source>
        <translation>Vollständiges Fine-Tuning</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Instruction tuning (full, loss on responses)</source>
        <translation>Instruction-Tuning (vollständig, Verlust auf den Antworten)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Selective (BitFit, norms, layers, patterns)</source>
        <translation>Selektiv (BitFit, Normen, Schichten, Muster)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>LoRA</source>
        <translation>LoRA</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Bottleneck adapters</source>
        <translation>Bottleneck-Adapter</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Prompt tuning</source>
        <translation>Prompt-Tuning</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>How the base model is adapted</source>
        <translation>Wie das Basismodell angepasst wird</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Biases (BitFit)</source>
        <translation>Biases (BitFit)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Normalisation weights</source>
        <translation>Normalisierungsgewichte</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Embeddings</source>
        <translation>Embeddings</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Output head</source>
        <translation>Ausgabekopf</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The output projection; with tied embeddings this is the token embedding itself</source>
        <translation>Die Ausgabeprojektion; bei gekoppelten Embeddings ist dies das Token-Embedding selbst</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Blocks whose weights all train, e.g. &quot;0-3, 10&quot; (inclusive)</source>
        <translation>Blöcke, deren Gewichte vollständig trainiert werden, z. B. „0-3, 10“ (einschließlich)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>e.g. 0-3, 10</source>
        <translation>z. B. 0-3, 10</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Regular expressions (one per line) searched in parameter names; ticking a parameter below adds its exact name</source>
        <translation>Reguläre Ausdrücke (einer pro Zeile), nach denen in Parameternamen gesucht wird; das Anhaken eines Parameters unten fügt seinen genauen Namen hinzu</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Parameter</source>
        <translation>Parameter</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Shape</source>
        <translation>Form</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Count</source>
        <translation>Anzahl</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Ticked parameters train. Ticking one adds its exact name as a pattern; a parameter chosen by a rule above stays ticked</source>
        <translation>Angehakte Parameter werden trainiert. Das Anhaken eines Parameters fügt seinen genauen Namen als Muster hinzu; ein durch eine Regel oben gewählter Parameter bleibt angehakt</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>Patterns</source>
        <translation>Muster</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>r: the rank of the update B·A; trainable parameters grow linearly with it</source>
        <translation>r: der Rang der Aktualisierung B·A; die Zahl der trainierbaren Parameter wächst linear damit</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The update is scaled by alpha/r (alpha/√r with rank-stabilised scaling)</source>
        <translation>Die Aktualisierung wird mit alpha/r skaliert (alpha/√r bei rangstabilisierter Skalierung)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Dropout on the LoRA input during training, in [0, 1)</source>
        <translation>Dropout auf der LoRA-Eingabe während des Trainings, in [0, 1)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Module names LoRA attaches to, comma separated; a name matches a module path exactly or as its last components. Empty: the family default</source>
        <translation>Modulnamen, an die LoRA angehängt wird, durch Kommas getrennt; ein Name passt auf einen Modulpfad, wenn er ihm oder dessen letzten Bestandteilen entspricht. Leer: Vorgabe der Modellfamilie</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Rank-stabilised scaling (rsLoRA)</source>
        <translation>Rangstabilisierte Skalierung (rsLoRA)</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>Rank</source>
        <translation>Rang</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Alpha</source>
        <translation>Alpha</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Dropout</source>
        <translation>Dropout</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Targets</source>
        <translation>Ziele</translation>
    </message>
    <message>
        <location line="+156"/>
        <source>auto: bf16 on CUDA and on CPUs with AMX-BF16 or AVX512-BF16, else f32; bf16 is autocast mixed precision with float32 master weights</source>
        <translation>auto: bf16 auf CUDA und auf CPUs mit AMX-BF16 oder AVX512-BF16, sonst f32; bf16 ist Autocast-Mixed-Precision mit float32-Master-Gewichten</translation>
    </message>
    <message>
        <location line="-405"/>
        <source>The RUN.json that Save and Start write from these settings</source>
        <translation>Die RUN.json, die „Speichern“ und „Starten“ aus diesen Einstellungen schreiben</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Settings</source>
        <translation>Einstellungen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>RUN.json</source>
        <translation>RUN.json</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Choose a model folder (Hugging Face or llama2.c) to see what will train</source>
        <translation>Wählen Sie einen Modellordner (Hugging Face oder llama2.c), um zu sehen, was trainiert wird</translation>
    </message>
    <message>
        <location line="+213"/>
        <source>Tick the projections LoRA attaches to; the field below holds the same list</source>
        <translation>Haken Sie die Projektionen an, an die LoRA angehängt wird; das Feld darunter enthält dieselbe Liste</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>Target names</source>
        <translation>Zielnamen</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Bottleneck width of each adapter (one after attention, one after the MLP of every block)</source>
        <translation>Bottleneck-Breite jedes Adapters (einer nach der Attention, einer nach dem MLP jedes Blocks)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Non-linearity inside the bottleneck</source>
        <translation>Nichtlinearität im Bottleneck</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Size</source>
        <translation>Größe</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Activation</source>
        <translation>Aktivierung</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Length of the trainable soft prompt prepended to every example</source>
        <translation>Länge des trainierbaren Soft-Prompts, der jedem Beispiel vorangestellt wird</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>random: scaled noise; vocab: embeddings of random vocabulary tokens; text: the embeddings of the text below, repeated to fill</source>
        <translation>random: skaliertes Rauschen; vocab: Embeddings zufälliger Token aus dem Vokabular; text: die Embeddings des Texts unten, bis zur vollen Länge wiederholt</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Initial text for init &quot;text&quot;</source>
        <translation>Anfangstext für die Initialisierung „text“</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Virtual tokens</source>
        <translation>Virtuelle Token</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Initialisation</source>
        <translation>Initialisierung</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Text</source>
        <translation>Text</translation>
    </message>
    <message>
        <location line="+66"/>
        <source>Every weight of the model trains, and the loss covers every token, prompt included. Saves a complete model and needs the most memory: choose it for small models or a new kind of text.</source>
        <translation>Alle Gewichte des Modells werden trainiert, und der Verlust umfasst jedes Token, auch den Prompt. Speichert ein vollständiges Modell und braucht den meisten Speicher: geeignet für kleine Modelle oder eine neue Art von Text.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Every weight trains on prompt/response pairs, but the loss covers only the responses, so the model learns to answer. Saves a complete model; memory as for full fine-tuning.</source>
        <translation>Alle Gewichte werden auf Prompt/Antwort-Paaren trainiert, aber der Verlust umfasst nur die Antworten, sodass das Modell zu antworten lernt. Speichert ein vollständiges Modell; Speicherbedarf wie beim vollständigen Fine-Tuning.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Only what you tick trains (for example just the biases, known as BitFit, or a few blocks); the rest stays frozen. Saves only the trained tensors: a cheap first try.</source>
        <translation>Nur was Sie anhaken, wird trainiert (etwa nur die Biases, bekannt als BitFit, oder einige Blöcke); der Rest bleibt eingefroren. Speichert nur die trainierten Tensoren: ein günstiger erster Versuch.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The base model stays frozen; small low-rank matrices beside the chosen projections train. Saves a small adapter: the usual choice when memory is short.</source>
        <translation>Das Basismodell bleibt eingefroren; kleine Matrizen niedrigen Rangs neben den gewählten Projektionen werden trainiert. Speichert einen kleinen Adapter: die übliche Wahl bei knappem Speicher.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The base model stays frozen; a small bottleneck layer after the attention and the MLP of every block trains. Saves a small adapter, at a cost similar to LoRA.</source>
        <translation>Das Basismodell bleibt eingefroren; eine kleine Bottleneck-Schicht nach der Attention und dem MLP jedes Blocks wird trainiert. Speichert einen kleinen Adapter, bei ähnlichem Aufwand wie LoRA.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The model stays frozen; only a few learned vectors put before every example train. Saves a tiny file: the cheapest method, best with larger models and simple tasks.</source>
        <translation>Das Modell bleibt eingefroren; nur einige gelernte Vektoren, die jedem Beispiel vorangestellt werden, werden trainiert. Speichert eine winzige Datei: die günstigste Methode, am besten für größere Modelle und einfache Aufgaben.</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Training</source>
        <translation>Training</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>AdamW (no weight decay on biases and norms) or plain SGD with optional momentum</source>
        <translation>AdamW (kein Weight Decay auf Biases und Normen) oder einfaches SGD mit optionalem Momentum</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Peak learning rate, e.g. 2e-4 for LoRA, 1e-5 to 5e-5 for full fine-tuning of large models</source>
        <translation>Maximale Lernrate, z. B. 2e-4 für LoRA, 1e-5 bis 5e-5 für vollständiges Fine-Tuning großer Modelle</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Optimiser steps to run. One step sees batch × accumulation examples; an epoch is (training examples) / (batch × accumulation) steps</source>
        <translation>Anzahl der Optimiererschritte. Ein Schritt verarbeitet Batch × Akkumulation Beispiele; eine Epoche umfasst (Trainingsbeispiele) / (Batch × Akkumulation) Schritte</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Examples per micro-batch; activation memory grows with it</source>
        <translation>Beispiele pro Mikro-Batch; der Speicher für Aktivierungen wächst damit</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Micro-batches per optimiser step: a larger effective batch without more memory</source>
        <translation>Mikro-Batches pro Optimiererschritt: ein größerer effektiver Batch ohne zusätzlichen Speicher</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>How the learning rate decays after warm-up</source>
        <translation>Wie die Lernrate nach dem Warm-up abnimmt</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Steps of linear warm-up from 0 to the peak learning rate</source>
        <translation>Schritte des linearen Warm-ups von 0 bis zur maximalen Lernrate</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Where linear/cosine decay ends, as a share of the peak (0 to 1)</source>
        <translation>Endwert der linearen bzw. Kosinus-Abnahme als Anteil des Maximums (0 bis 1)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>AdamW decoupled weight decay; never applied to biases and norms</source>
        <translation>Entkoppelter Weight Decay von AdamW; wird nie auf Biases und Normen angewendet</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>SGD momentum (0 = none)</source>
        <translation>SGD-Momentum (0 = keines)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Clip the global gradient norm to this value (0 = off)</source>
        <translation>Globale Gradientennorm auf diesen Wert begrenzen (0 = aus)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Tokens per example; longer examples are truncated</source>
        <translation>Token pro Beispiel; längere Beispiele werden gekürzt</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>How prompt/response records become text: Alpaca, ChatML or plain prompt\nresponse</source>
        <translation>Wie Prompt/Antwort-Einträge zu Text werden: Alpaca, ChatML oder einfach Prompt\nAntwort</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Validation loss every N steps (0 = only at the end)</source>
        <translation>Validierungsverlust alle N Schritte (0 = nur am Ende)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Validation batches per evaluation (0 = the whole validation set)</source>
        <translation>Validierungs-Batches pro Auswertung (0 = die gesamte Validierungsmenge)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stop after N evaluations without improvement (0 = off)</source>
        <translation>Nach N Auswertungen ohne Verbesserung anhalten (0 = aus)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Resumable checkpoint every N steps (0 = only at the end)</source>
        <translation>Fortsetzbarer Checkpoint alle N Schritte (0 = nur am Ende)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Seed for data order, initialisation and dropout; the same seed repeats a run exactly</source>
        <translation>Seed für Datenreihenfolge, Initialisierung und Dropout; derselbe Seed wiederholt einen Lauf exakt</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Where to train: cpu, cuda or cuda:N</source>
        <translation>Wo trainiert wird: cpu, cuda oder cuda:N</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Intra-op CPU threads (0 = LibTorch&apos;s default)</source>
        <translation>CPU-Threads innerhalb einer Operation (0 = Vorgabe von LibTorch)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Data-parallel processes on this machine. Each uses cores / processes threads (unless Threads is set), and the batch size is per process: 2 processes × batch 4 train like 1 × batch 8</source>
        <translation>Datenparallele Prozesse auf diesem Rechner. Jeder nutzt Kerne / Prozesse Threads (sofern „Threads“ nicht gesetzt ist), und die Batchgröße gilt pro Prozess: 2 Prozesse × Batch 4 trainieren wie 1 × Batch 8</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>auto</source>
        <translation>auto</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>on</source>
        <translation>an</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>off</source>
        <translation>aus</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Recompute each block&apos;s activations in the backward pass: less memory, about a third more time. auto: on when the memory estimate exceeds the memory available</source>
        <translation>Die Aktivierungen jedes Blocks im Rückwärtsdurchlauf neu berechnen: weniger Speicher, etwa ein Drittel mehr Zeit. auto: an, wenn die Speicherschätzung den verfügbaren Speicher übersteigt</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Optimiser</source>
        <translation>Optimierer</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Learning rate</source>
        <translation>Lernrate</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Steps</source>
        <translation>Schritte</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Batch size</source>
        <translation>Batchgröße</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Accumulation</source>
        <translation>Akkumulation</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Schedule</source>
        <translation>Lernratenplan</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Warm-up steps</source>
        <translation>Warm-up-Schritte</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Final LR ratio</source>
        <translation>LR-Verhältnis am Ende</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Weight decay</source>
        <translation>Weight Decay</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Momentum</source>
        <translation>Momentum</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Gradient clipping</source>
        <translation>Gradienten-Clipping</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Max length</source>
        <translation>Max. Länge</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Prompt template</source>
        <translation>Prompt-Vorlage</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Validate every</source>
        <translation>Validieren alle</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Validation batches</source>
        <translation>Validierungs-Batches</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Early stopping</source>
        <translation>Vorzeitiges Beenden</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Checkpoint every</source>
        <translation>Checkpoint alle</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Seed</source>
        <translation>Seed</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Precision</source>
        <translation>Rechengenauigkeit</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Device</source>
        <translation>Gerät</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Threads</source>
        <translation>Threads</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Processes</source>
        <translation>Prozesse</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Gradient checkpointing</source>
        <translation>Gradient Checkpointing</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>Choose a model folder</source>
        <translation>Modellordner wählen</translation>
    </message>
    <message>
        <location line="+78"/>
        <source>%1 (%2)</source>
        <translation>%1 (%2)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 (%2 M)</source>
        <translation>%1 (%2 Mio.)</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>%1 (%2 key/value)</source>
        <translation>%1 (%2 Key/Value)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>, tied embeddings</source>
        <translation>, gekoppelte Embeddings</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>default: %1</source>
        <translation>Vorgabe: %1</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>default for the model family</source>
        <translation>Vorgabe der Modellfamilie</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Embeddings, final norm, head</source>
        <translation>Embeddings, letzte Norm, Kopf</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Block %1</source>
        <translation>Block %1</translation>
    </message>
    <message>
        <location line="+37"/>
        <source>%1 of %2 ticked</source>
        <translation>%1 von %2 angehakt</translation>
    </message>
    <message>
        <location line="+73"/>
        <source>New configuration “%1” — not saved yet</source>
        <translation>Neue Konfiguration „%1“ — noch nicht gespeichert</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1 — unsaved changes</source>
        <translation>%1 — ungespeicherte Änderungen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1 — saved</source>
        <translation>%1 — gespeichert</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Start saves it into the runs folder</source>
        <translation>„Starten“ speichert sie im Laufordner</translation>
    </message>
    <message>
        <location line="+58"/>
        <source>Trainable: %1 of %2 parameters (%3 %)</source>
        <translation>Trainierbar: %1 von %2 Parametern (%3 %)</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Memory (estimate): %1 in total — weights %2, gradients %3, optimiser %4, activations %5</source>
        <translation>Speicher (Schätzung): %1 insgesamt — Gewichte %2, Gradienten %3, Optimierer %4, Aktivierungen %5</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Trainable: —</source>
        <translation>Trainierbar: —</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Memory (estimate): —</source>
        <translation>Speicher (Schätzung): —</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Trains in %1</source>
        <translation>Trainiert in %1</translation>
    </message>
    <message>
        <location line="+53"/>
        <source>Cannot start: %1</source>
        <translation>Start nicht möglich: %1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Save the settings and start training</source>
        <translation>Einstellungen speichern und Training starten</translation>
    </message>
    <message>
        <location line="+6"/>
        <location line="+18"/>
        <source>Cannot save: %1</source>
        <translation>Speichern nicht möglich: %1</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>Cannot load %1: %2</source>
        <translation>%1 kann nicht geladen werden: %2</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Load run configuration</source>
        <translation>Laufkonfiguration laden</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+9"/>
        <source>Run configuration (*.json)</source>
        <translation>Laufkonfiguration (*.json)</translation>
    </message>
    <message>
        <location line="-7"/>
        <source>Cannot load run configuration</source>
        <translation>Laufkonfiguration kann nicht geladen werden</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Save run configuration</source>
        <translation>Laufkonfiguration speichern</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Cannot save run configuration</source>
        <translation>Laufkonfiguration kann nicht gespeichert werden</translation>
    </message>
</context>
<context>
    <name>tb::ui::MetricChart</name>
    <message>
        <location filename="../ui/eval/metric_chart.cpp" line="+54"/>
        <source>%1 (baseline)</source>
        <translation>%1 (Baseline)</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>%1 on %2</source>
        <translation>%1 auf %2</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>higher is better</source>
        <translation>höher ist besser</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>lower is better</source>
        <translation>niedriger ist besser</translation>
    </message>
    <message>
        <location line="+35"/>
        <source>%1 cannot be compared with %2 on %3: one of them has no score.</source>
        <translation>%1 kann auf %3 nicht mit %2 verglichen werden: Einem der beiden fehlt ein Ergebnis.</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>%1 differs from %2 on %3 by %4 (no significance test).</source>
        <translation>%1 unterscheidet sich auf %3 um %4 von %2 (kein Signifikanztest).</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>95% CI ±%1, </source>
        <translation>95-%-Konfidenzintervall ±%1, </translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1 is not significantly different from %2 on %3 (%4, %5).</source>
        <translation>%1 unterscheidet sich auf %3 nicht signifikant von %2 (%4, %5).</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>%1 beats %2 on %3 by %4 (%5%6).</source>
        <translation>%1 ist auf %3 um %4 besser als %2 (%5%6).</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1 is worse than %2 on %3 by %4 (%5%6).</source>
        <translation>%1 ist auf %3 um %4 schlechter als %2 (%5%6).</translation>
    </message>
    <message>
        <location line="+82"/>
        <source>not evaluated</source>
        <translation>nicht evaluiert</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>%1 (%2)</source>
        <translation>%1 (%2)</translation>
    </message>
    <message>
        <location line="+53"/>
        <source>95% CI</source>
        <translation>95-%-Konfidenzintervall</translation>
    </message>
    <message>
        <location line="+17"/>
        <source> (95% CI ±%1)</source>
        <translation> (95-%-Konfidenzintervall ±%1)</translation>
    </message>
</context>
<context>
    <name>tb::ui::PlaygroundPanel</name>
    <message>
        <location filename="../ui/playground/playground_panel.cpp" line="+73"/>
        <source>Every checked run and base model continues the prompt</source>
        <translation>Jeder angehakte Lauf und jedes angehakte Basismodell setzt den Prompt fort</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Refresh</source>
        <translation>&amp;Aktualisieren</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Add model &amp;folder…</source>
        <translation>Modell&amp;ordner hinzufügen…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>A model folder (config.json + safetensors) or a llama2.c .bin that is not in the run store</source>
        <translation>Ein Modellordner (config.json + safetensors) oder eine llama2.c-.bin-Datei, die nicht im Laufspeicher ist</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>0 (greedy)</source>
        <translation>0 (greedy)</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Nucleus sampling: keep the most likely tokens that make up this much probability (1 = all)</source>
        <translation>Nucleus Sampling: die wahrscheinlichsten Token behalten, die zusammen diese Wahrscheinlichkeit ergeben (1 = alle)</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>off</source>
        <translation>aus</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Decoding (the same for every model)</source>
        <translation>Dekodierung (für jedes Modell gleich)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Max new &amp;tokens:</source>
        <translation>Max. neue &amp;Token:</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>T&amp;emperature:</source>
        <translation>T&amp;emperatur:</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Top-&amp;p:</source>
        <translation>Top-&amp;p:</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Top-&amp;k:</source>
        <translation>Top-&amp;k:</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Seed:</source>
        <translation>&amp;Seed:</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Runs and base models:</source>
        <translation>Läufe und Basismodelle:</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Type a prompt; every checked model continues it</source>
        <translation>Geben Sie einen Prompt ein; jedes angehakte Modell setzt ihn fort</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Generate</source>
        <translation>&amp;Generieren</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Generate with every checked model (Ctrl+Enter)</source>
        <translation>Mit jedem angehakten Modell generieren (Strg+Eingabe)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>S&amp;top</source>
        <translation>An&amp;halten</translation>
    </message>
    <message>
        <location line="-85"/>
        <source>end of text</source>
        <translation>Textende</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>stop text reached</source>
        <translation>Stopptext erreicht</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>token limit</source>
        <translation>Token-Limit</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>context window full</source>
        <translation>Kontextfenster voll</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>stopped by you</source>
        <translation>von Ihnen angehalten</translation>
    </message>
    <message>
        <location line="+95"/>
        <source>Prompt:</source>
        <translation>Prompt:</translation>
    </message>
    <message>
        <location line="+40"/>
        <source>Run store: %1</source>
        <translation>Laufspeicher: %1</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>No models yet — train one in Live training (F5), or add a model folder on the left.</source>
        <translation>Noch keine Modelle — trainieren Sie eines im Live-Training (F5) oder fügen Sie links einen Modellordner hinzu.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Type a prompt and press Generate (Ctrl+Enter): each checked model&apos;s output appears here, side by side.</source>
        <translation>Geben Sie einen Prompt ein und drücken Sie „Generieren“ (Strg+Eingabe): Die Ausgaben aller angehakten Modelle erscheinen hier nebeneinander.</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Run %1 on %2</source>
        <translation>Lauf %1 auf %2</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>folder: %1</source>
        <translation>Ordner: %1</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Model folder</source>
        <translation>Modellordner</translation>
    </message>
    <message>
        <location line="+46"/>
        <source>Check at least one run or base model to generate with.</source>
        <translation>Haken Sie mindestens einen Lauf oder ein Basismodell zum Generieren an.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Type a prompt first.</source>
        <translation>Geben Sie zuerst einen Prompt ein.</translation>
    </message>
    <message numerus="yes">
        <location line="+17"/>
        <source>Generating with %n model(s)…</source>
        <translation>
            <numerusform>Generierung mit %n Modell…</numerusform>
            <numerusform>Generierung mit %n Modellen…</numerusform>
        </translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Stopping…</source>
        <translation>Wird angehalten…</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>Waiting…</source>
        <translation>Wartet…</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>Error: %1</source>
        <translation>Fehler: %1</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>failed</source>
        <translation>fehlgeschlagen</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>(no text: the model stopped at once)</source>
        <translation>(kein Text: das Modell hat sofort angehalten)</translation>
    </message>
    <message numerus="yes">
        <location line="+2"/>
        <source>%n token(s) in %1 s</source>
        <translation>
            <numerusform>%n Token in %1 s</numerusform>
            <numerusform>%n Token in %1 s</numerusform>
        </translation>
    </message>
    <message>
        <location line="+3"/>
        <source>%1 tokens/s</source>
        <translation>%1 Token/s</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>loaded in %1 s</source>
        <translation>in %1 s geladen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>stopped: %1</source>
        <translation>angehalten: %1</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Not generated</source>
        <translation>Nicht generiert</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>cancelled</source>
        <translation>abgebrochen</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Stopped.</source>
        <translation>Angehalten.</translation>
    </message>
    <message numerus="yes">
        <location line="+2"/>
        <source>Done; %n model(s) failed (the reason is in their column).</source>
        <translation>
            <numerusform>Fertig; %n Modell ist fehlgeschlagen (der Grund steht in seiner Spalte).</numerusform>
            <numerusform>Fertig; %n Modelle sind fehlgeschlagen (der Grund steht in ihrer Spalte).</numerusform>
        </translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Done.</source>
        <translation>Fertig.</translation>
    </message>
</context>
<context>
    <name>tb::ui::PreviewModel</name>
    <message>
        <location filename="../ui/dataset/preview_model.cpp" line="+95"/>
        <source>File</source>
        <translation>Datei</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Line</source>
        <translation>Zeile</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Task</source>
        <translation>Aufgabe</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Shape</source>
        <translation>Struktur</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Instruction</source>
        <translation>Anweisung</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Input</source>
        <translation>Eingabe</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Output</source>
        <translation>Ausgabe</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Prompt</source>
        <translation>Prompt</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Response</source>
        <translation>Antwort</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Text</source>
        <translation>Text</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Messages</source>
        <translation>Nachrichten</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Problem</source>
        <translation>Problem</translation>
    </message>
</context>
<context>
    <name>tb::ui::RecentFiles</name>
    <message>
        <location filename="../ui/common/recent_files.cpp" line="+66"/>
        <source>(none)</source>
        <translation>(keine)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Clear list</source>
        <translation>Liste &amp;leeren</translation>
    </message>
</context>
<context>
    <name>tb::ui::RunCurvesView</name>
    <message>
        <location filename="../ui/history/run_curves_view.cpp" line="+130"/>
        <source>Exponential moving average as in TensorBoard; the raw curve stays faint behind</source>
        <translation>Exponentieller gleitender Mittelwert wie in TensorBoard; die Rohkurve bleibt blass im Hintergrund</translation>
    </message>
    <message>
        <location line="+4"/>
        <location line="+151"/>
        <source>Step</source>
        <translation>Schritt</translation>
    </message>
    <message>
        <location line="-150"/>
        <location line="+146"/>
        <source>Epoch</source>
        <translation>Epoche</translation>
    </message>
    <message>
        <location line="-145"/>
        <location line="+146"/>
        <source>Tokens seen</source>
        <translation>Gesehene Token</translation>
    </message>
    <message>
        <location line="-145"/>
        <source>&amp;Log scale</source>
        <translation>&amp;Logarithmische Skala</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Logarithmic y axis; values at or below zero are not drawn</source>
        <translation>Logarithmische y-Achse; Werte kleiner oder gleich null werden nicht gezeichnet</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Reset &amp;zoom</source>
        <translation>&amp;Zoom zurücksetzen</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Point at a line to read its values.</source>
        <translation>Zeigen Sie auf eine Linie, um ihre Werte abzulesen.</translation>
    </message>
    <message>
        <location line="+176"/>
        <source>The selected runs have no recorded metrics yet — they appear once a run logs its first step.</source>
        <translation>Die gewählten Läufe haben noch keine aufgezeichneten Metriken — sie erscheinen, sobald ein Lauf seinen ersten Schritt protokolliert.</translation>
    </message>
    <message>
        <location line="-282"/>
        <source>Select one or more runs in the table to overlay their curves.</source>
        <translation>Wählen Sie einen oder mehrere Läufe in der Tabelle aus, um ihre Kurven zu überlagern.</translation>
    </message>
    <message>
        <location line="+117"/>
        <source>&amp;Smoothing:</source>
        <translation>&amp;Glättung:</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>&amp;X axis:</source>
        <translation>&amp;X-Achse:</translation>
    </message>
    <message>
        <location line="+106"/>
        <source>Run(s) %1 did not record this (stored before Tunebench kept it); they can be drawn by step only</source>
        <translation>Bei Lauf/Läufen %1 wurde dies nicht aufgezeichnet (gespeichert, bevor Tunebench es erfasst hat); sie können nur nach Schritt gezeichnet werden</translation>
    </message>
    <message>
        <location line="+125"/>
        <source>Drag a rectangle to zoom in, right-click to zoom out, double-click to reset</source>
        <translation>Ein Rechteck aufziehen zum Vergrößern, Rechtsklick zum Verkleinern, Doppelklick zum Zurücksetzen</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>#%1 %2 · %3 %4 · %5</source>
        <translation>#%1 %2 · %3 %4 · %5</translation>
    </message>
    <message>
        <location line="+3"/>
        <source> (smoothed %1)</source>
        <translation> (geglättet %1)</translation>
    </message>
</context>
<context>
    <name>tb::ui::RunDetailsDialog</name>
    <message>
        <location filename="../ui/history/run_details_dialog.cpp" line="+50"/>
        <source>Run %1: %2</source>
        <translation>Lauf %1: %2</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Name:</source>
        <translation>Name:</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Status:</source>
        <translation>Status:</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Method:</source>
        <translation>Methode:</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Base model:</source>
        <translation>Basismodell:</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Created:</source>
        <translation>Erstellt:</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Started:</source>
        <translation>Gestartet:</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Finished:</source>
        <translation>Beendet:</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Error:</source>
        <translation>Fehler:</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Metric</source>
        <translation>Metrik</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Points</source>
        <translation>Punkte</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>First</source>
        <translation>Erster</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Last</source>
        <translation>Letzter</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Minimum</source>
        <translation>Minimum</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>At step</source>
        <translation>Bei Schritt</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>Step</source>
        <translation>Schritt</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Resumable</source>
        <translation>Fortsetzbar</translation>
    </message>
    <message>
        <location line="+0"/>
        <location line="+5"/>
        <source>Path</source>
        <translation>Pfad</translation>
    </message>
    <message>
        <location line="-5"/>
        <location line="+5"/>
        <source>Created</source>
        <translation>Erstellt</translation>
    </message>
    <message>
        <location line="-3"/>
        <source>yes</source>
        <translation>ja</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>no</source>
        <translation>nein</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Kind</source>
        <translation>Art</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Details</source>
        <translation>Details</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Summary</source>
        <translation>Übersicht</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Configuration</source>
        <translation>Konfiguration</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Metrics</source>
        <translation>Metriken</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Checkpoints</source>
        <translation>Checkpoints</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Artifacts</source>
        <translation>Artefakte</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>What it &amp;learned</source>
        <translation>Was er &amp;gelernt hat</translation>
    </message>
</context>
<context>
    <name>tb::ui::RunHistoryPanel</name>
    <message>
        <location filename="../ui/history/run_history_panel.cpp" line="+53"/>
        <source>Filter by name</source>
        <translation>Nach Name filtern</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Refresh</source>
        <translation>&amp;Aktualisieren</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Open…</source>
        <translation>Ö&amp;ffnen…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Configuration, metrics, checkpoints and artifacts of the selected run</source>
        <translation>Konfiguration, Metriken, Checkpoints und Artefakte des gewählten Laufs</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Res&amp;ume</source>
        <translation>&amp;Fortsetzen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Continue the selected run from its last checkpoint in Live training</source>
        <translation>Den gewählten Lauf ab seinem letzten Checkpoint im Live-Training fortsetzen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Clone configuration</source>
        <translation>Konfiguration &amp;klonen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Start a new run from the selected run&apos;s configuration</source>
        <translation>Einen neuen Lauf mit der Konfiguration des gewählten Laufs beginnen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Re&amp;name…</source>
        <translation>&amp;Umbenennen…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Delete</source>
        <translation>&amp;Löschen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>E&amp;xport</source>
        <translation>E&amp;xportieren</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Write the selected run for other tools</source>
        <translation>Den gewählten Lauf für andere Werkzeuge exportieren</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;GGUF…</source>
        <translation>&amp;GGUF…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>A GGUF file for llama.cpp and Ollama, with a Modelfile and a model card</source>
        <translation>Eine GGUF-Datei für llama.cpp und Ollama, mit einem Modelfile und einer Modellkarte</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Id</source>
        <translation>Nr.</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Method</source>
        <translation>Methode</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Base model</source>
        <translation>Basismodell</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Created</source>
        <translation>Erstellt</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Duration</source>
        <translation>Dauer</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Steps</source>
        <translation>Schritte</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Best val. loss</source>
        <translation>Bester Val.-Verlust</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Final val. loss</source>
        <translation>Letzter Val.-Verlust</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Trainable</source>
        <translation>Trainierbar</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Evaluation</source>
        <translation>Evaluierung</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>From the run&apos;s start to its end, pauses included</source>
        <translation>Vom Start bis zum Ende des Laufs, einschließlich Pausen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Share of the model&apos;s parameters the run trained (stored when it saves its adapter or model)</source>
        <translation>Anteil der Modellparameter, die der Lauf trainiert hat (gespeichert, wenn er seinen Adapter oder sein Modell speichert)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The newest evaluation of the run per task, by the task&apos;s primary metric</source>
        <translation>Die neueste Evaluierung des Laufs pro Aufgabe, nach der primären Metrik der Aufgabe</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>C&amp;urves</source>
        <translation>Ku&amp;rven</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Configuration &amp;differences</source>
        <translation>Konfigurationsunter&amp;schiede</translation>
    </message>
    <message>
        <location line="+59"/>
        <source>Run store</source>
        <translation>Laufspeicher</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>No runs yet — train one in Live training (F5).</source>
        <translation>Noch keine Läufe — trainieren Sie einen im Live-Training (F5).</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>No run&apos;s name contains “%1” — clear the filter to see every run.</source>
        <translation>Kein Laufname enthält „%1“ — leeren Sie den Filter, um alle Läufe zu sehen.</translation>
    </message>
    <message>
        <location line="+37"/>
        <source>%1 %</source>
        <translation>%1 %</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>queued</source>
        <translation>wartend</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>running</source>
        <translation>läuft</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>paused</source>
        <translation>pausiert</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>completed</source>
        <translation>abgeschlossen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>failed</source>
        <translation>fehlgeschlagen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>cancelled</source>
        <translation>abgebrochen</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>interrupted</source>
        <translation>unterbrochen</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Full fine-tuning</source>
        <translation>Vollständiges Fine-Tuning</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Selective</source>
        <translation>Selektiv</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>LoRA</source>
        <translation>LoRA</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Bottleneck adapter</source>
        <translation>Bottleneck-Adapter</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Prompt tuning</source>
        <translation>Prompt-Tuning</translation>
    </message>
    <message>
        <location line="+73"/>
        <source>Cannot read the runs&apos; metrics: %1</source>
        <translation>Die Metriken der Läufe können nicht gelesen werden: %1</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Showing the first %1 of the %2 selected runs (by id).</source>
        <translation>Die ersten %1 der %2 ausgewählten Läufe werden angezeigt (nach ID).</translation>
    </message>
    <message>
        <location line="+37"/>
        <source>Clone configuration</source>
        <translation>Konfiguration klonen</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>Open run</source>
        <translation>Lauf öffnen</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Export run %1 as GGUF</source>
        <translation>Lauf %1 als GGUF exportieren</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Merged model (one file)</source>
        <translation>Zusammengeführtes Modell (eine Datei)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>LoRA adapter, with the base model beside it</source>
        <translation>LoRA-Adapter, mit dem Basismodell daneben</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>f16 (half the size of f32)</source>
        <translation>f16 (halb so groß wie f32)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>bf16</source>
        <translation>bf16</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>f32 (exact)</source>
        <translation>f32 (exakt)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Browse…</source>
        <translation>&amp;Durchsuchen…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>GGUF file</source>
        <translation>GGUF-Datei</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>GGUF (*.gguf)</source>
        <translation>GGUF (*.gguf)</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Export:</source>
        <translation>Export:</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Weights:</source>
        <translation>Gewichte:</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>File:</source>
        <translation>Datei:</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>A Modelfile (ollama create NAME -f Modelfile) and a README.md are written beside it.</source>
        <translation>Ein Modelfile (ollama create NAME -f Modelfile) und eine README.md werden daneben geschrieben.</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>Run %1 exported:
%2</source>
        <translation>Lauf %1 exportiert:
%2</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Run %1 could not be exported as GGUF: %2</source>
        <translation>Lauf %1 konnte nicht als GGUF exportiert werden: %2</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Export GGUF</source>
        <translation>GGUF exportieren</translation>
    </message>
    <message>
        <location line="+39"/>
        <location line="+6"/>
        <source>Rename run</source>
        <translation>Lauf umbenennen</translation>
    </message>
    <message>
        <location line="-6"/>
        <source>New name:</source>
        <translation>Neuer Name:</translation>
    </message>
    <message numerus="yes">
        <location line="+18"/>
        <source>Delete %n runs and their metrics from the history?</source>
        <translation>
            <numerusform>%n Lauf und seine Metriken aus dem Verlauf löschen?</numerusform>
            <numerusform>%n Läufe und ihre Metriken aus dem Verlauf löschen?</numerusform>
        </translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+7"/>
        <source>Delete run</source>
        <translation>Lauf löschen</translation>
    </message>
    <message>
        <location line="-9"/>
        <source>Delete run %1 and its metrics from the history?</source>
        <translation>Lauf %1 und seine Metriken aus dem Verlauf löschen?</translation>
    </message>
    <message>
        <location filename="../ui/history/run_facts.cpp" line="+72"/>
        <source>%1 (%2): %3</source>
        <translation>%1 (%2): %3</translation>
    </message>
    <message>
        <location line="+26"/>
        <source>%1h %2m</source>
        <translation>%1 h %2 min</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>%1m %2s</source>
        <translation>%1 min %2 s</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>%1s</source>
        <translation>%1 s</translation>
    </message>
</context>
<context>
    <name>tb::ui::TrainingJob</name>
    <message>
        <location filename="../ui/training/training_job.cpp" line="+177"/>
        <source>training on %1 processes needs tunebench-cli-engine beside this program or in ../lib/tunebench/; it was not found (reinstall Tunebench, or set Processes to 1)</source>
        <translation>Training mit %1 Prozessen benötigt tunebench-cli-engine neben diesem Programm oder in ../lib/tunebench/; es wurde nicht gefunden (installieren Sie Tunebench neu oder setzen Sie „Prozesse“ auf 1)</translation>
    </message>
    <message>
        <location line="+41"/>
        <source>ended with exit status %1</source>
        <translation>mit Exit-Status %1 beendet</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>crashed</source>
        <translation>abgestürzt</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>could not start %1: %2</source>
        <translation>%1 konnte nicht gestartet werden: %2</translation>
    </message>
    <message>
        <location line="+110"/>
        <source>Training on %1 processes: waiting for ranks 1–%2 to join</source>
        <translation>Training mit %1 Prozessen: Warten auf den Beitritt von Rank 1–%2</translation>
    </message>
</context>
<context>
    <name>tb::ui::TrainingPanel</name>
    <message>
        <location filename="../ui/training/training_panel.cpp" line="+82"/>
        <source>completed</source>
        <translation>abgeschlossen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>stopped early (no more improvement)</source>
        <translation>vorzeitig beendet (keine Verbesserung mehr)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>cancelled</source>
        <translation>abgebrochen</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>failed</source>
        <translation>fehlgeschlagen</translation>
    </message>
    <message>
        <location line="+46"/>
        <source>&amp;Start</source>
        <translation>&amp;Starten</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+620"/>
        <source>&amp;Pause</source>
        <translation>&amp;Pausieren</translation>
    </message>
    <message>
        <location line="-619"/>
        <source>S&amp;top</source>
        <translation>&amp;Anhalten</translation>
    </message>
    <message>
        <location line="+27"/>
        <source>training loss</source>
        <translation>Trainingsverlust</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>validation loss</source>
        <translation>Validierungsverlust</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>learning rate</source>
        <translation>Lernrate</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>tokens/s</source>
        <translation>Token/s</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>gradient norm</source>
        <translation>Gradientennorm</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>step</source>
        <translation>Schritt</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Loss</source>
        <translation>Verlust</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Learning rate</source>
        <translation>Lernrate</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Throughput (tokens/s)</source>
        <translation>Durchsatz (Token/s)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Gradient norm (before clipping)</source>
        <translation>Gradientennorm (vor dem Clipping)</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Step</source>
        <translation>Schritt</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Prompt</source>
        <translation>Prompt</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Output</source>
        <translation>Ausgabe</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Task</source>
        <translation>Aufgabe</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>Log</source>
        <translation>Protokoll</translation>
    </message>
    <message>
        <location line="+125"/>
        <source>Cannot open run configuration</source>
        <translation>Laufkonfiguration kann nicht geöffnet werden</translation>
    </message>
    <message>
        <location line="+50"/>
        <source>Cannot start</source>
        <translation>Start nicht möglich</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Resume run</source>
        <translation>Lauf fortsetzen</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Another run is training; stop it first.</source>
        <translation>Ein anderer Lauf trainiert; halten Sie ihn zuerst an.</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>Cannot resume run %1</source>
        <translation>Lauf %1 kann nicht fortgesetzt werden</translation>
    </message>
    <message>
        <location line="+113"/>
        <source>Run %1 started; files in %2</source>
        <translation>Lauf %1 gestartet; Dateien in %2</translation>
    </message>
    <message>
        <location line="+155"/>
        <source>Validation at step %1: loss %2, perplexity %3</source>
        <translation>Validierung bei Schritt %1: Verlust %2, Perplexität %3</translation>
    </message>
    <message>
        <location line="-134"/>
        <source>Checkpoint at step %1: %2</source>
        <translation>Checkpoint bei Schritt %1: %2</translation>
    </message>
    <message>
        <location line="-464"/>
        <source>full fine-tuning</source>
        <translation>vollständiges Fine-Tuning</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>selective tuning</source>
        <translation>selektives Tuning</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>LoRA</source>
        <translation>LoRA</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>bottleneck adapters</source>
        <translation>Bottleneck-Adapter</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>prompt tuning</source>
        <translation>Prompt-Tuning</translation>
    </message>
    <message>
        <location line="+26"/>
        <location line="+222"/>
        <source>No run configuration yet: configure one in the Method panel or open a RUN.json (Ctrl+O)</source>
        <translation>Noch keine Laufkonfiguration: Konfigurieren Sie eine in der Ansicht „Methode“ oder öffnen Sie eine RUN.json (Strg+O)</translation>
    </message>
    <message>
        <location line="-199"/>
        <source>What this run trains with on this machine</source>
        <translation>Womit dieser Lauf auf diesem Rechner trainiert</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Input tokens per second of each data-parallel process in the last step; a slow rank holds the others back</source>
        <translation>Eingabe-Token pro Sekunde jedes datenparallelen Prozesses im letzten Schritt; ein langsamer Rank bremst die anderen aus</translation>
    </message>
    <message>
        <location line="+54"/>
        <source>Samples: greedy generations at the steps the run configuration asks for</source>
        <translation>Beispielausgaben: Greedy-Generierungen an den Schritten, die die Laufkonfiguration vorgibt</translation>
    </message>
    <message>
        <location line="+83"/>
        <source>No run configuration</source>
        <translation>Keine Laufkonfiguration</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Ready</source>
        <translation>Bereit</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Starting</source>
        <translation>Wird gestartet</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Pausing after this step</source>
        <translation>Pausiert nach diesem Schritt</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Finalising</source>
        <translation>Wird abgeschlossen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Completed</source>
        <translation>Abgeschlossen</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Stopped</source>
        <translation>Angehalten</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Failed</source>
        <translation>Fehlgeschlagen</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>Run configuration: %1 (%2, %3)</source>
        <translation>Laufkonfiguration: %1 (%2, %3)</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Run configuration: %1 (unsaved changes)</source>
        <translation>Laufkonfiguration: %1 (ungespeicherte Änderungen)</translation>
    </message>
    <message>
        <location line="+2"/>
        <location line="+24"/>
        <source>Run configuration: %1</source>
        <translation>Laufkonfiguration: %1</translation>
    </message>
    <message>
        <location line="-12"/>
        <source>A run is training; stop it before starting another.</source>
        <translation>Ein Lauf trainiert gerade; halten Sie ihn an, bevor Sie einen weiteren starten.</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Cannot start %1</source>
        <translation>%1 kann nicht gestartet werden</translation>
    </message>
    <message>
        <location line="+52"/>
        <source>Resuming run %1 (%2, %3)</source>
        <translation>Lauf %1 wird fortgesetzt (%2, %3)</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Steps %1–%2 after the last checkpoint (step %3) will be trained again</source>
        <translation>Die Schritte %1–%2 nach dem letzten Checkpoint (Schritt %3) werden erneut trainiert</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Step %1 after the last checkpoint (step %2) will be trained again</source>
        <translation>Schritt %1 nach dem letzten Checkpoint (Schritt %2) wird erneut trainiert</translation>
    </message>
    <message>
        <location line="+83"/>
        <source>Reading the data and loading the model…</source>
        <translation>Daten werden gelesen und Modell wird geladen…</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>Resumed run %1 from step %2; files in %3</source>
        <translation>Lauf %1 ab Schritt %2 fortgesetzt; Dateien in %3</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>%1 training and %2 validation sequences; %3 of %4 parameters trainable (%5 %)</source>
        <translation>%1 Trainings- und %2 Validierungssequenzen; %3 von %4 Parametern trainierbar (%5 %)</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Paused after step %1</source>
        <translation>Nach Schritt %1 pausiert</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The other processes wait for this one at most 5 minutes; a longer pause interrupts the run (it can be resumed)</source>
        <translation>Die anderen Prozesse warten höchstens 5 Minuten auf diesen; eine längere Pause unterbricht den Lauf (er kann fortgesetzt werden)</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>Run %1: %2</source>
        <translation>Lauf %1: %2</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Run %1: %2 — %3</source>
        <translation>Lauf %1: %2 — %3</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>Stopped early (no more improvement) after %1 of training</source>
        <translation>Vorzeitig beendet (keine Verbesserung mehr) nach %1 Training</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Completed in %1 of training (paused time not counted)</source>
        <translation>Abgeschlossen nach %1 Training (Pausen nicht mitgerechnet)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>best validation loss %1 at step %2</source>
        <translation>bester Validierungsverlust %1 bei Schritt %2</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>no validation loss (the run had no validation data)</source>
        <translation>kein Validierungsverlust (der Lauf hatte keine Validierungsdaten)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1 tokens/s on average</source>
        <translation>durchschnittlich %1 Token/s</translation>
    </message>
    <message>
        <location line="+37"/>
        <source>Precision: %1</source>
        <translation>Rechengenauigkeit: %1</translation>
    </message>
    <message>
        <location line="+2"/>
        <source> · %1 processes, batch %2 each</source>
        <translation> · %1 Prozesse, je Batch %2</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>rank %1: %2 tok/s</source>
        <translation>Rank %1: %2 Token/s</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>Step %1 of %2 · loss %3 · %4 tokens/s · gradient norm %5 · ETA %6</source>
        <translation>Schritt %1 von %2 · Verlust %3 · %4 Token/s · Gradientennorm %5 · Restzeit %6</translation>
    </message>
    <message>
        <location line="+60"/>
        <source>Nothing is training. Configure a run in the Method panel and press Start (F5), or open a RUN.json (Ctrl+O).</source>
        <translation>Es wird nichts trainiert. Konfigurieren Sie einen Lauf in der Ansicht „Methode“ und drücken Sie „Starten“ (F5), oder öffnen Sie eine RUN.json (Strg+O).</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Nothing is training yet. Press Start (F5) to train this run configuration.</source>
        <translation>Es wird noch nichts trainiert. Drücken Sie „Starten“ (F5), um diese Laufkonfiguration zu trainieren.</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>&amp;Resume</source>
        <translation>&amp;Fortsetzen</translation>
    </message>
    <message>
        <location line="-450"/>
        <source>Paused</source>
        <translation>Pausiert</translation>
    </message>
    <message>
        <location line="-4"/>
        <source>Training</source>
        <translation>Training</translation>
    </message>
    <message>
        <location line="+330"/>
        <source>Stopping after the current step…</source>
        <translation>Hält nach dem aktuellen Schritt an…</translation>
    </message>
    <message>
        <location line="+70"/>
        <source>validation loss: %1</source>
        <translation>Validierungsverlust: %1</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Validation at step %1, task %2: loss %3</source>
        <translation>Validierung bei Schritt %1, Aufgabe %2: Verlust %3</translation>
    </message>
</context>
<context>
    <name>tb::ui::UpdateHeatmap</name>
    <message>
        <location filename="../ui/history/update_heatmap.cpp" line="+121"/>
        <source>layer %1</source>
        <translation>Schicht %1</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>outside blocks</source>
        <translation>außerhalb der Blöcke</translation>
    </message>
    <message>
        <location line="+51"/>
        <source>%1 has no LoRA on %2</source>
        <translation>%1 hat kein LoRA auf %2</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>%1
update ‖s·B·A‖_F: %2
weight ‖W‖_F: %3
ratio: %4 (%5%)</source>
        <translation>%1
Aktualisierung ‖s·B·A‖_F: %2
Gewicht ‖W‖_F: %3
Verhältnis: %4 (%5 %)</translation>
    </message>
    <message>
        <location line="+85"/>
        <source>Update norm ‖s·B·A‖_F</source>
        <translation>Norm der Aktualisierung ‖s·B·A‖_F</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Update relative to the weight, ‖s·B·A‖ / ‖W‖</source>
        <translation>Aktualisierung relativ zum Gewicht, ‖s·B·A‖ / ‖W‖</translation>
    </message>
</context>
<context>
    <name>tb::ui::WorkerThread</name>
    <message>
        <location filename="../ui/common/worker_thread.h" line="+34"/>
        <source>unknown error</source>
        <translation>unbekannter Fehler</translation>
    </message>
</context>
</TS>
