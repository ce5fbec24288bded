"""DynamoDB's PartiQL operations through boto3: ExecuteStatement (SELECT as a query or a scan,
with pagination through NextToken; INSERT, UPDATE and DELETE with their key rules and
RETURNING), BatchExecuteStatement (per-statement answers and errors) and ExecuteTransaction
(all or nothing, EXISTS checks, cancellation reasons). The rules are the developer guide's
("PartiQL select/insert/update/delete statements", "Performing transactions with PartiQL",
"Running batch operations with PartiQL")."""
import pytest

from conftest import error_of


@pytest.fixture(scope="module")
def ddb(nimbus):
    return nimbus.client("dynamodb")


@pytest.fixture
def music(ddb, unique):
    name = f"Music-{unique}"
    ddb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "Artist", "AttributeType": "S"},
                              {"AttributeName": "SongTitle", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "Artist", "KeyType": "HASH"}, {"AttributeName": "SongTitle", "KeyType": "RANGE"}])
    return name


def put_songs(ddb, table, artist, count):
    for n in range(count):
        ddb.put_item(TableName=table, Item={"Artist": {"S": artist}, "SongTitle": {"S": f"song-{n:03}"},
                                            "Year": {"N": str(2000 + n)}, "Plays": {"N": "0"}})


def failure(call, *args, **kwargs):
    code, _, message = error_of(call, *args, **kwargs)
    return {"Code": code, "Message": message}


def run(ddb, statement, *parameters, **extra):
    return ddb.execute_statement(Statement=statement, Parameters=list(parameters), **extra) if parameters \
        else ddb.execute_statement(Statement=statement, **extra)


def test_insert_then_select_by_key_with_parameters(ddb, music):
    run(ddb, f"INSERT INTO \"{music}\" VALUE {{'Artist': ?, 'SongTitle': 'PartiQL Rocks', 'Awards': <<'Grammy'>>, "
             f"'Info': {{'Label': 'Nimbus', 'Tracks': [1, 2]}}}}", {"S": "Acme Band"})
    got = run(ddb, f"SELECT * FROM \"{music}\" WHERE Artist = ? AND SongTitle = ?", {"S": "Acme Band"}, {"S": "PartiQL Rocks"})
    assert got["Items"] == [{"Artist": {"S": "Acme Band"}, "SongTitle": {"S": "PartiQL Rocks"}, "Awards": {"SS": ["Grammy"]},
                             "Info": {"M": {"Label": {"S": "Nimbus"}, "Tracks": {"L": [{"N": "1"}, {"N": "2"}]}}}}]
    # The same item through the JSON API: one store, two languages.
    item = ddb.get_item(TableName=music, Key={"Artist": {"S": "Acme Band"}, "SongTitle": {"S": "PartiQL Rocks"}})["Item"]
    assert item["Info"]["M"]["Label"] == {"S": "Nimbus"}


def test_insert_of_an_existing_key_is_a_duplicate(ddb, music):
    statement = f"INSERT INTO \"{music}\" VALUE {{'Artist': 'A', 'SongTitle': 'S'}}"
    run(ddb, statement)
    error = failure(run, ddb, statement)
    assert (error["Code"], error["Message"]) == ("DuplicateItemException", "Duplicate primary key exists in table")


def test_select_with_the_partition_key_queries_in_sort_order_and_pages(ddb, music):
    put_songs(ddb, music, "Band", 12)
    put_songs(ddb, music, "Other", 3)
    statement = f"SELECT SongTitle, \"Year\" FROM \"{music}\" WHERE Artist = 'Band' AND SongTitle BETWEEN 'song-002' AND 'song-009' ORDER BY SongTitle DESC"
    first = run(ddb, statement, Limit=5)
    assert [i["SongTitle"]["S"] for i in first["Items"]] == ["song-009", "song-008", "song-007", "song-006", "song-005"]
    assert set(first["Items"][0]) == {"SongTitle", "Year"}
    assert "NextToken" in first
    second = run(ddb, statement, Limit=5, NextToken=first["NextToken"])
    assert [i["SongTitle"]["S"] for i in second["Items"]] == ["song-004", "song-003", "song-002"]
    assert "NextToken" not in second
    filtered = run(ddb, f"SELECT * FROM \"{music}\" WHERE Artist = 'Band' AND \"Year\" >= 2010")
    assert sorted(i["SongTitle"]["S"] for i in filtered["Items"]) == ["song-010", "song-011"]


def test_select_without_the_partition_key_scans_with_the_whole_where(ddb, music):
    put_songs(ddb, music, "Band", 4)
    put_songs(ddb, music, "Other", 4)
    got = run(ddb, f"SELECT Artist FROM \"{music}\" WHERE SongTitle = 'song-001' OR \"Year\" = 2003")
    assert sorted(i["Artist"]["S"] for i in got["Items"]) == ["Band", "Band", "Other", "Other"]
    everything = run(ddb, f"SELECT * FROM \"{music}\"")
    assert len(everything["Items"]) == 8
    error = failure(run, ddb, f"SELECT * FROM \"{music}\" ORDER BY SongTitle")
    assert error["Code"] == "ValidationException"


def test_update_sets_and_removes_on_one_item_and_returns_what_was_asked(ddb, music):
    put_songs(ddb, music, "Band", 1)
    got = run(ddb, f"UPDATE \"{music}\" SET Plays = Plays + ? SET Tags = set_add(Tags, <<'live'>>) REMOVE \"Year\" "
                   f"WHERE Artist = 'Band' AND SongTitle = 'song-000' RETURNING ALL NEW *", {"N": "5"})
    assert got["Items"] == [{"Artist": {"S": "Band"}, "SongTitle": {"S": "song-000"}, "Plays": {"N": "5"}, "Tags": {"SS": ["live"]}}]
    modified = run(ddb, f"UPDATE \"{music}\" SET Plays = 9 WHERE Artist = 'Band' AND SongTitle = 'song-000' RETURNING MODIFIED OLD *")
    assert modified["Items"] == [{"Plays": {"N": "5"}}]


def test_update_needs_the_whole_key_and_an_existing_item_that_meets_the_where(ddb, music):
    put_songs(ddb, music, "Band", 1)
    error = failure(run, ddb, f"UPDATE \"{music}\" SET Plays = 1 WHERE Artist = 'Band'")
    assert (error["Code"], error["Message"]) == (
        "ValidationException", "Where clause does not contain a mandatory equality on all key attributes")
    assert failure(run, ddb, f"UPDATE \"{music}\" SET Plays = 1 WHERE Artist = 'Band' AND SongTitle = 'absent'")["Code"] == \
        "ConditionalCheckFailedException"
    assert failure(run, ddb, f"UPDATE \"{music}\" SET Plays = 1 WHERE Artist = 'Band' AND SongTitle = 'song-000' AND Plays > 100")["Code"] == \
        "ConditionalCheckFailedException"
    error = failure(run, ddb, f"UPDATE \"{music}\" SET Artist = 'x' WHERE Artist = 'Band' AND SongTitle = 'song-000'")
    assert "This attribute is part of the key" in error["Message"]


def test_delete_of_an_absent_item_succeeds_and_a_false_where_fails(ddb, music):
    put_songs(ddb, music, "Band", 1)
    assert run(ddb, f"DELETE FROM \"{music}\" WHERE Artist = 'Band' AND SongTitle = 'nothing'")["Items"] == []
    error = failure(run, ddb, f"DELETE FROM \"{music}\" WHERE Artist = 'Band' AND SongTitle = 'song-000' AND Plays = 7")
    assert error["Code"] == "ConditionalCheckFailedException"
    got = run(ddb, f"DELETE FROM \"{music}\" WHERE Artist = 'Band' AND SongTitle = 'song-000' RETURNING ALL OLD *")
    assert got["Items"][0]["SongTitle"] == {"S": "song-000"}
    assert "Item" not in ddb.get_item(TableName=music, Key={"Artist": {"S": "Band"}, "SongTitle": {"S": "song-000"}})


def test_malformed_statements_and_missing_tables(ddb, music):
    error = failure(run, ddb, "UPSERT INTO t VALUE {'a': 1}")
    assert (error["Code"], error["Message"]) == (
        "ValidationException", "Statement wasn't well formed, can't be processed: Expected data manipulation")
    error = failure(run, ddb, f"SELECT * FROM \"{music}\" WHERE Artist = ?")
    assert error["Message"] == "Number of parameters in request and statement don't match."
    assert failure(run, ddb, "SELECT * FROM \"no-such-table\"")["Code"] == "ResourceNotFoundException"


def test_batch_execute_statement_answers_each_statement(ddb, music):
    put_songs(ddb, music, "Band", 2)
    writes = ddb.batch_execute_statement(Statements=[
        {"Statement": f"INSERT INTO \"{music}\" VALUE {{'Artist': 'New', 'SongTitle': 'one'}}"},
        {"Statement": f"INSERT INTO \"{music}\" VALUE {{'Artist': 'Band', 'SongTitle': 'song-000'}}"},
        {"Statement": f"UPDATE \"{music}\" SET Plays = 3 WHERE Artist = ? AND SongTitle = ?",
         "Parameters": [{"S": "Band"}, {"S": "song-001"}]},
    ])["Responses"]
    assert "Error" not in writes[0] and writes[0]["TableName"] == music
    assert writes[1]["Error"]["Code"] == "DuplicateItem"
    assert "Error" not in writes[2]
    reads = ddb.batch_execute_statement(Statements=[
        {"Statement": f"SELECT Plays FROM \"{music}\" WHERE Artist = 'Band' AND SongTitle = 'song-001'"},
        {"Statement": f"SELECT * FROM \"{music}\" WHERE Artist = 'Band' AND SongTitle = 'absent'"},
        {"Statement": f"SELECT * FROM \"{music}\" WHERE Artist = 'Band'"},
    ])["Responses"]
    assert reads[0]["Item"] == {"Plays": {"N": "3"}}
    assert "Item" not in reads[1] and "Error" not in reads[1]
    assert reads[2]["Error"]["Code"] == "ValidationError"
    mixed = failure(ddb.batch_execute_statement, Statements=[
        {"Statement": f"SELECT * FROM \"{music}\" WHERE Artist = 'Band' AND SongTitle = 'song-001'"},
        {"Statement": f"DELETE FROM \"{music}\" WHERE Artist = 'Band' AND SongTitle = 'song-001'"}])
    assert mixed["Code"] == "ValidationException"


def test_execute_transaction_is_all_or_nothing(ddb, music):
    put_songs(ddb, music, "Band", 2)
    ddb.execute_transaction(TransactStatements=[
        {"Statement": f"INSERT INTO \"{music}\" VALUE {{'Artist': 'T', 'SongTitle': 'a'}}"},
        {"Statement": f"UPDATE \"{music}\" SET Plays = Plays + 1 WHERE Artist = 'Band' AND SongTitle = 'song-000'"},
        {"Statement": f"EXISTS(SELECT * FROM \"{music}\" WHERE Artist = 'Band' AND SongTitle = 'song-001' AND Plays = 0)"},
    ])
    song = ddb.get_item(TableName=music, Key={"Artist": {"S": "Band"}, "SongTitle": {"S": "song-000"}})["Item"]
    assert song["Plays"] == {"N": "1"}

    with pytest.raises(ddb.exceptions.TransactionCanceledException) as raised:
        ddb.execute_transaction(TransactStatements=[
            {"Statement": f"INSERT INTO \"{music}\" VALUE {{'Artist': 'T', 'SongTitle': 'b'}}"},
            {"Statement": f"INSERT INTO \"{music}\" VALUE {{'Artist': 'T', 'SongTitle': 'a'}}"},
            {"Statement": f"EXISTS(SELECT * FROM \"{music}\" WHERE Artist = 'Band' AND SongTitle = 'song-000' AND Plays = 0)"},
        ])
    # song-000 has Plays = 1 now: the check fails.
    reasons = [r["Code"] for r in raised.value.response["CancellationReasons"]]
    assert reasons == ["None", "DuplicateItem", "ConditionalCheckFailed"]
    # Nothing of the cancelled transaction was written.
    assert "Item" not in ddb.get_item(TableName=music, Key={"Artist": {"S": "T"}, "SongTitle": {"S": "b"}})

    reads = ddb.execute_transaction(TransactStatements=[
        {"Statement": f"SELECT Plays FROM \"{music}\" WHERE Artist = 'Band' AND SongTitle = 'song-000'"},
        {"Statement": f"SELECT * FROM \"{music}\" WHERE Artist = 'T' AND SongTitle = 'a'"},
        {"Statement": f"SELECT * FROM \"{music}\" WHERE Artist = 'T' AND SongTitle = 'zzz'"},
    ])["Responses"]
    assert reads[0] == {"Item": {"Plays": {"N": "1"}}}
    assert reads[1]["Item"]["SongTitle"] == {"S": "a"}
    assert reads[2] == {}
